"""seedflow beside LangChain's and LlamaIndex's incremental ingestion, on one generated corpus.

    python benchmarks/peers.py [--docs N] [--workdir DIR] [--only seedflow,langchain,llamaindex]

Every tool ingests the same folder four times, each run a process of its own (imports
included, as a scheduled job pays them): the first ingest, an unchanged re-run, a re-run
after 1 % of the files were changed, and one after another 1 % were deleted. Phases go
tool after tool, so load from other processes hits all of them alike. After each run the
benchmark counts what the tool's store holds, which tells whether it noticed deletions.

* seedflow: `seedflow ingest` against a Prefect server the benchmark starts, as
  benchmarks/pipeline.py runs it (SQLite store).
* LangChain: DirectoryLoader (BSHTMLLoader for .html, TextLoader for .txt), seeded
  langdetect into each document's metadata, then `index()` with a `SQLRecordManager`
  (SQLite) and `cleanup="full"` into an `InMemoryVectorStore` with a deterministic fake
  embedding (no model is paid for), dumped to disk between runs.
* LlamaIndex: SimpleDirectoryReader (HTMLTagReader on <body> for .html) into an
  `IngestionPipeline` (a seeded-langdetect transform, SentenceSplitter, a mock embedding) with a
  persisted `SimpleDocumentStore` and `SimpleVectorStore` and
  `DocstoreStrategy.UPSERTS_AND_DELETE`.

The peers are installed by the `bench` extra (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import corpus as corpus_generator  # noqa: E402
from benchmarks.pipeline import child_env, ingest_command, measure, touch_share  # noqa: E402

TOOLS = ("seedflow", "langchain", "llamaindex")
PHASES = ("first ingest", "unchanged re-run", "1 % changed", "1 % deleted")


def _language(text: str) -> str:
    """Seeded langdetect, as seedflow's own detector starts from (deterministic per text)."""
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0
    try:
        return detect(text)
    except LangDetectException:
        return "und"


def run_langchain(source: Path, state: Path) -> dict[str, Any]:
    """One LangChain ingest: load, detect languages, `index()` with full cleanup."""
    from langchain_community.document_loaders import BSHTMLLoader, DirectoryLoader, TextLoader
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from langchain_core.indexing import index
    from langchain_core.vectorstores import InMemoryVectorStore
    from langchain_classic.indexes import SQLRecordManager

    state.mkdir(parents=True, exist_ok=True)
    documents = [
        *DirectoryLoader(str(source), glob="**/*.html", loader_cls=BSHTMLLoader, loader_kwargs={"open_encoding": "utf-8"},
                         silent_errors=True).load(),
        *DirectoryLoader(str(source), glob="**/*.txt", loader_cls=TextLoader, loader_kwargs={"encoding": "utf-8"},
                         silent_errors=True).load(),
    ]
    for document in documents:
        document.metadata["language"] = _language(document.page_content)
    embedding = DeterministicFakeEmbedding(size=8)
    dump = state / "vectors.json"
    vectors = InMemoryVectorStore.load(str(dump), embedding) if dump.exists() else InMemoryVectorStore(embedding)
    records = SQLRecordManager("peers", db_url=f"sqlite:///{state / 'records.db'}")
    records.create_schema()
    result = index(documents, records, vectors, cleanup="full", source_id_key="source")
    vectors.dump(str(dump))
    return {"loaded": len(documents), "held": len(vectors.store), "records": len(records.list_keys()), **result}


def run_llamaindex(source: Path, state: Path) -> dict[str, Any]:
    """One LlamaIndex ingest: read, then the pipeline with upserts and deletes against the persisted stores."""
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.schema import TransformComponent
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from llama_index.core.vector_stores import SimpleVectorStore
    from llama_index.readers.file import HTMLTagReader

    class DetectLanguage(TransformComponent):
        """Copies, not the input documents: the pipeline stores the input's hashes, and a
        changed input would look changed on every later run."""

        def __call__(self, nodes: Sequence[Any], **_: Any) -> Sequence[Any]:
            return [n.model_copy(update={"metadata": {**n.metadata, "language": _language(n.get_content())}})
                    for n in nodes]

    state.mkdir(parents=True, exist_ok=True)
    reader = SimpleDirectoryReader(str(source), recursive=True, required_exts=[".txt", ".html"], filename_as_id=True,
                                   file_extractor={".html": HTMLTagReader(tag="body")})
    documents = reader.load_data()
    docstore_path, vectors_path = state / "docstore.json", state / "vectors.json"
    docstore = SimpleDocumentStore.from_persist_path(str(docstore_path)) if docstore_path.exists() else SimpleDocumentStore()
    vectors = SimpleVectorStore.from_persist_path(str(vectors_path)) if vectors_path.exists() else SimpleVectorStore()
    # Split into chunks, as LlamaIndex ingests: the vector store deletes by source document,
    # and only chunks carry one.
    transformations = [DetectLanguage(), SentenceSplitter(chunk_size=1024), MockEmbedding(embed_dim=8)]
    pipeline = IngestionPipeline(transformations=transformations, docstore=docstore,
                                 vector_store=vectors, docstore_strategy=DocstoreStrategy.UPSERTS_AND_DELETE)
    written = pipeline.run(documents=documents)
    docstore.persist(str(docstore_path))
    vectors.persist(str(vectors_path))
    return {"loaded": len(documents), "written": len(written), "held": len(docstore.get_all_document_hashes()),
            "vectors": len(vectors.data.embedding_dict)}


CHILDREN: dict[str, Callable[[Path, Path], dict[str, Any]]] = {"langchain": run_langchain, "llamaindex": run_llamaindex}


def seedflow_holds(store: Path) -> dict[str, int]:
    """Documents the store holds by status (deleted ones keep their history, marked `deleted`)."""
    with sqlite3.connect(store) as connection:
        rows = connection.execute("SELECT status, COUNT(*) FROM documents GROUP BY status").fetchall()
    counts = {status: count for status, count in rows}
    return {**counts, "held": sum(c for s, c in counts.items() if s != "deleted")}


def delete_share(folder: Path, share: float = 0.01) -> int:
    """Delete every 1/share-th file in key order (not the ones `touch_share` changed)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    step = max(1, round(1 / share))
    gone = files[step // 4 :: step]
    for path in gone:
        path.unlink()
    return len(gone)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="files in the generated corpus (default 2000)")
    parser.add_argument("--workdir", type=Path, help="where the corpus and stores go (default: a temporary folder)")
    parser.add_argument("--only", default=",".join(TOOLS), help="comma-separated tools to run (default: all three)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.source, args.state)))
        return 0

    from flows.server import local_server

    corpus_generator.shared_corpus()
    tools = [t for t in args.only.split(",") if t in TOOLS]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="seedflow-peers-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / "corpus"
    shutil.rmtree(source, ignore_errors=True)
    print(corpus_generator.describe(corpus_generator.generate(args.docs, source), source))
    results: dict[str, dict[str, tuple[float, dict[str, Any]] | str]] = {t: {} for t in tools}
    with ExitStack() as stack:
        env = child_env(workdir / "prefect-home")
        if "seedflow" in tools:
            print("  starting a Prefect server …", file=sys.stderr, flush=True)
            env = child_env(workdir / "prefect-home",
                            stack.enter_context(local_server(workdir / "prefect-server"))["PREFECT_API_URL"])
        store = workdir / "seedflow.db"
        for phase in PHASES:
            if phase == "1 % changed":
                print(f"  changed {touch_share(source)} files", file=sys.stderr)
            elif phase == "1 % deleted":
                print(f"  deleted {delete_share(source)} files", file=sys.stderr)
            for tool in tools:
                command = ingest_command(source, store) if tool == "seedflow" else [
                    sys.executable, __file__, "--child", tool, "--source", str(source), "--state", str(workdir / tool)]
                try:
                    measured = measure(f"{tool}: {phase}", command, args.docs, env)
                except SystemExit as failure:
                    results[tool][phase] = f"failed: {str(failure).strip().splitlines()[-1][:200]}"
                    continue
                held = seedflow_holds(store) if tool == "seedflow" else json.loads(measured.stdout.strip().splitlines()[-1])
                results[tool][phase] = (measured.wall, held)
    files = sum(1 for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
    print()
    print(f"{args.docs:,} generated files; {files:,} left after the deletions; seconds per run (each its own process):")
    print(f"  {'tool':<12}" + "".join(f"{p:>18}" for p in PHASES) + f"{'held after':>12}  noticed the deletions")
    for tool in tools:
        cells, held_before, held_after = [], None, None
        for phase in PHASES:
            outcome = results[tool].get(phase, "not run")
            if isinstance(outcome, str):
                cells.append(f"{outcome[:16]:>18}")
                continue
            seconds, held = outcome
            cells.append(f"{seconds:>17.1f}s")
            held_before = held_after
            held_after = held.get("held")
        noticed = "—" if held_before is None or held_after is None else (
            f"yes ({held_before - held_after} removed)" if held_after < held_before else "NO")
        print(f"  {tool:<12}" + "".join(cells) + f"{held_after if held_after is not None else '—':>12}  {noticed}")
    print()
    for tool in tools:
        for phase in PHASES:
            outcome = results[tool].get(phase)
            detail = outcome if isinstance(outcome, str) else json.dumps(outcome[1]) if outcome else "not run"
            print(f"  {tool} / {phase}: {detail}")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
