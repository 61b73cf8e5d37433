"""Store API benchmark (issue 17): the change feed, search and Parquet export on 100,000 documents.

Fills a SQLite store and a PostgreSQL database in bulk with synthetic documents (one
version each, ~150 words drawn from a Zipf-distributed vocabulary, cursors and search
index rows written as the store writes them), then times, through `storage.Store`:
`changes` since a cursor 1 % behind the head, the first page of two-word searches, and
a Parquet export of everything, run in a child process to read its peak RSS.

    PYTHONPATH=. python benchmarks/store_api.py [--documents 100000] [--postgres URL | --no-postgres]

Targets: changes < 0.5 s, search < 0.2 s, export >= 20,000 documents/s in < 500 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = [a + b for a in "bdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai", "ou")]
WORDS_PER_DOCUMENT = 150
# Two-word queries by vocabulary rank: a frequent word with a rarer one, two mid-range ones, two rare ones.
QUERIES = ((5, 400), (60, 300), (900, 2000))


def vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES, size=rng.integers(2, 4))))
    return sorted(words, key=lambda w: (len(w), w))


def fill(url: str, count: int, words: Sequence[str], seed: int = 17) -> None:
    """`count` active documents with one version each, numbered and indexed as the store does."""
    from storage import migrate, search
    from storage.models import ChangeFeedState, DocumentRow, DocumentVersion
    from storage.session import session_scope

    migrate.upgrade(url)
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, len(words) + 1)
    weights = (1 / ranks) / (1 / ranks).sum()
    vocab = np.array(words, dtype=object)
    now = datetime.now(UTC)
    step = 2000
    for start in range(0, count, step):
        ids = range(start + 1, min(count, start + step) + 1)
        drawn = rng.choice(len(words), size=(len(ids), WORDS_PER_DOCUMENT), p=weights)
        texts = [" ".join(vocab[row]) + "." for row in drawn]
        documents = [
            {"id": i, "key": f"synthetic/{i:07d}.txt", "first_seen_at": now, "current_version": 1, "status": "active",
             "size": len(t), "mtime_ns": 0, "updated_at": now}
            for i, t in zip(ids, texts)
        ]
        versions = [
            {"document_id": i, "version": 1, "status": "active", "title": f"Document {i}", "language": "en",
             "language_score": 1.0, "languages": [{"language": "en", "score": 1.0}], "text": t, "content_hash": None,
             "meta": {"format": "text", "encoding": "utf-8", "author": None, "canonical_url": None,
                      "language_hint": None},
             "size": len(t), "mtime_ns": 0, "ingested_at": now, "seq": i, "change": "created"}
            for i, t in zip(ids, texts)
        ]
        with session_scope(url) as session:
            session.execute(insert(DocumentRow.__table__), documents)
            session.execute(insert(DocumentVersion.__table__), versions)
            search.index(session, versions)
            session.execute(update(ChangeFeedState).where(ChangeFeedState.id == 1).values(head=ids[-1]))
    if make_url(url).get_backend_name() == "postgresql":
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))


def timed(call, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    """Median wall time of `call()` over `repeat` runs, after one untimed warm-up."""
    call()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


EXPORT = """
import sys, time, resource
from storage import Store
began, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[2], "wb") as out:
    count = Store(sys.argv[1]).export_to(out, "parquet")
print(count, time.perf_counter() - began, time.process_time() - cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(name: str, url: str, count: int, words: Sequence[str], workdir: Path) -> None:
    from storage import Store

    began = time.perf_counter()
    fill(url, count, words)
    print(f"{name}: filled {count:,} documents in {time.perf_counter() - began:.1f} s")
    store = Store(url)
    behind = count - count // 100
    feed_time = timed(lambda: sum(1 for _ in store.changes(since=behind)))
    keys_time = timed(lambda: sum(1 for _ in store.changes(since=behind, keys_only=True)))
    print(f"  changes since a cursor 1 % behind ({count - behind:,} versions): {feed_time * 1000:.0f} ms "
          f"(keys only {keys_time * 1000:.0f} ms)")
    for low, high in QUERIES:
        query = f"{words[low - 1]} {words[high - 1]}"
        hits = len(store.search(query, limit=10_000_000))
        elapsed = timed(lambda: store.search(query, limit=10))
        print(f"  search {query!r} (ranks {low} and {high}, {hits:,} matches): first page in {elapsed * 1000:.0f} ms")
    target = workdir / f"{name}.parquet"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", EXPORT, url, str(target)], capture_output=True, text=True, env=env,
                          check=True)
    exported, seconds, cpu, peak_kb = done.stdout.split()
    count, seconds, cpu = int(exported), float(seconds), float(cpu)
    print(f"  parquet export: {count:,} documents in {seconds:.1f} s = {count / seconds:,.0f} documents/s "
          f"({count / cpu:,.0f} per CPU second of the exporting process), peak RSS {int(peak_kb) / 1024:.0f} MB, "
          f"file {target.stat().st_size / 1e6:.0f} MB")


def main(argv: Sequence[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--documents", type=int, default=100_000)
    options.add_argument("--postgres", default=os.environ.get(
        "SEEDFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    options.add_argument("--no-postgres", action="store_true")
    args = options.parse_args(argv)
    words = vocabulary(20_000, np.random.default_rng(3))
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        measure("sqlite", f"sqlite:///{workdir / 'bench.db'}", args.documents, words, workdir)
        if args.no_postgres:
            return 0
        name = f"seedflow_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            measure("postgresql", url, args.documents, words, workdir)
        finally:
            from storage.session import get_engine

            get_engine.cache_clear()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; benchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
