"""Near-duplicate detection benchmark: quality on a labelled set, and cost as the store grows.

Builds a labelled set deterministically from ../shared/corpus: "articles" of 15–40
consecutive sentences of one language (lang/sentences) plus the main text of the HTML
pages; then near copies of each (word edits, paragraph changes, re-wrapping,
boilerplate) and hard negatives (other articles of the same language, articles sharing
30–50 % of the sentences, articles quoting a long passage). Originals are ingested first,
then everything else in shuffled batches, through the real dedupe and store functions
on a SQLite store. Prints precision/recall/F1 per kind, dedupe throughput, and the
per-document dedupe and store cost with 1,000, 10,000 and 100,000 documents
already indexed (synthetic signatures, bulk-loaded; `--sizes` for others, up to a
million), on SQLite and, with `--db URL`, on throw-away PostgreSQL databases, with the
index's size on disk per document and, with `--explain`, the candidates query's plan.

    PYTHONPATH=. python benchmarks/dedup.py [--quick] [--skip-quality] [--sizes 1000,100000,1000000]
        [--db sqlite --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--explain]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import textwrap
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"

EDIT_RATES = (1, 5, 10, 20)
POSITIVE_KINDS = (
    *(f"edit_{rate}pct" for rate in EDIT_RATES),
    "paragraphs_reordered", "paragraph_added", "paragraph_dropped", "rewrapped", "boilerplate",
)
NEGATIVE_KINDS = ("distinct_same_language", "same_topic", "shared_quote")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


@dataclass
class Article:
    key: str
    group: str  # language (sentence articles) or "html": negatives draw filler from the same group
    paragraphs: list[list[str]]  # sentences per paragraph

    @property
    def sentences(self) -> list[str]:
        return [s for p in self.paragraphs for s in p]

    def text(self) -> str:
        return "\n\n".join(" ".join(p) for p in self.paragraphs)


@dataclass
class Sample:
    key: str
    kind: str
    text: str
    original: str | None  # key of the article it copies; None for a negative


@dataclass
class Labelled:
    originals: list[Sample] = field(default_factory=list)
    others: list[Sample] = field(default_factory=list)
    skipped_short: int = 0


def _paragraphs(sentences: Sequence[str], rng: random.Random) -> list[list[str]]:
    out, start = [], 0
    while start < len(sentences):
        size = rng.randint(3, 6)
        out.append(list(sentences[start : start + size]))
        start += size
    return out


def sentence_articles(languages: int | None, seed: int) -> Iterator[Article]:
    """Consecutive sentences of one language, 15–40 per article, cut into paragraphs."""
    files = sorted((CORPUS / "lang" / "sentences").glob("*.txt"))
    for path in files[:languages] if languages else files:
        rng = random.Random(f"{seed}:{path.stem}")
        sentences = [s.strip() for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]
        start, number = 0, 0
        while len(sentences) - start >= 15:
            size = rng.randint(15, 40)
            chunk = sentences[start : start + size]
            yield Article(f"lang/{path.stem}/{number:03d}", path.stem, _paragraphs(chunk, rng))
            start, number = start + size, number + 1


def html_articles(pages: int | None) -> Iterator[Article]:
    """Main text of each HTML page (trafilatura), one paragraph per extracted line."""
    import trafilatura

    files = sorted((CORPUS / "html" / "pages").glob("*.html"))
    for path in files[:pages] if pages else files:
        text = trafilatura.extract(path.read_bytes()) or ""
        paragraphs = [[s for s in _SENTENCE_END.split(line.strip()) if s] for line in text.splitlines() if line.strip()]
        if paragraphs:
            yield Article(f"html/{path.stem}", "html", paragraphs)


def _edit(article: Article, rate: float, vocabulary: Sequence[str], rng: random.Random) -> str:
    """Substitute, insert or delete `rate` of the words (each edit one of the three at random)."""
    paragraphs = [" ".join(p).split() for p in article.paragraphs]
    total = sum(len(p) for p in paragraphs)
    for _ in range(max(1, round(rate * total))):
        words = rng.choices(paragraphs, weights=[len(p) + 1 for p in paragraphs])[0]
        operation = rng.choice(("substitute", "insert", "delete"))
        position = rng.randrange(len(words) + (operation == "insert")) if words else 0
        if operation == "substitute" and words:
            words[position] = rng.choice(vocabulary)
        elif operation == "insert":
            words.insert(position, rng.choice(vocabulary))
        elif words:
            del words[position]
    return "\n\n".join(" ".join(p) for p in paragraphs)


def _boilerplate(rng: random.Random) -> tuple[str, str]:
    site = rng.choice(("Daily Courier", "The Morning Ledger", "Riverside Post", "Metro Wire", "Coastal Times"))
    menu = " | ".join(rng.sample(["Home", "News", "World", "Sport", "Business", "Culture", "Opinion", "Contact"], 6))
    header = f"{site}\n{menu}\nSign in  Subscribe  Search"
    footer = (
        f"Share this article: Facebook Twitter Email\nSubscribe to the {site} newsletter for the latest stories.\n"
        f"© {rng.randint(2015, 2025)} {site}. All rights reserved. Privacy policy. Terms of use. Cookie settings."
    )
    return header, footer


def _positives(article: Article, others: Sequence[Article], vocabulary: Sequence[str], rng: random.Random) -> Iterator[tuple[str, str]]:
    for rate in EDIT_RATES:
        yield f"edit_{rate}pct", _edit(article, rate / 100, vocabulary, rng)
    paragraphs = list(article.paragraphs)
    shuffled = paragraphs[:]
    while len(shuffled) > 1 and shuffled == paragraphs:
        rng.shuffle(shuffled)
    yield "paragraphs_reordered", "\n\n".join(" ".join(p) for p in shuffled)
    extra = rng.choice(rng.choice(others).paragraphs)
    added = paragraphs[:]
    added.insert(rng.randrange(len(added) + 1), extra)
    yield "paragraph_added", "\n\n".join(" ".join(p) for p in added)
    if len(paragraphs) >= 3:
        dropped = paragraphs[:]
        del dropped[rng.randrange(len(dropped))]
        yield "paragraph_dropped", "\n\n".join(" ".join(p) for p in dropped)
    width = rng.randint(40, 80)
    yield "rewrapped", "\n\n".join(textwrap.fill(" ".join(p), width) for p in paragraphs)
    header, footer = _boilerplate(rng)
    yield "boilerplate", f"{header}\n\n{article.text()}\n\n{footer}"


def _negatives(article: Article, pool: Sequence[str], rng: random.Random) -> Iterator[tuple[str, str]]:
    """Texts about as long as the article that must NOT be linked to it.

    Filler sentences are drawn from the whole language pool, so no single other
    article contributes more than a sentence or two.
    """
    own = set(article.sentences)
    filler = [s for s in pool if s not in own]
    sentences = article.sentences
    shared = set(rng.sample(range(len(sentences)), max(1, round(rng.uniform(0.3, 0.5) * len(sentences)))))
    topic = [sentences[i] if i in shared else rng.choice(filler) for i in range(len(sentences))]
    yield "same_topic", "\n\n".join(" ".join(p) for p in _paragraphs(topic, rng))
    length = min(len(sentences) - 1, max(4, min(8, round(0.3 * len(sentences)))))
    start = rng.randrange(len(sentences) - length + 1)
    quote = "“" + " ".join(sentences[start : start + length]) + "”"
    body = [" ".join(p) for p in _paragraphs(rng.sample(filler, min(len(filler), len(sentences))), rng)]
    body.insert(rng.randrange(len(body) + 1), quote)
    yield "shared_quote", "\n\n".join(body)


def build(quick: bool, seed: int, min_words: int) -> Labelled:
    """The labelled set: originals, then their near copies and hard negatives."""
    from tasks.near_duplicates.signatures import tokens

    articles = list(sentence_articles(12 if quick else None, seed)) + list(html_articles(30 if quick else None))
    labelled = Labelled()
    usable = []
    for article in articles:
        if len(tokens(article.text())) < 2 * min_words:
            labelled.skipped_short += 1
            continue
        usable.append(article)
    by_group: defaultdict[str, list[Article]] = defaultdict(list)
    for article in usable:
        by_group[article.group].append(article)
    for article in usable:
        labelled.originals.append(Sample(article.key, "distinct_same_language", article.text(), None))
    for article in usable:
        rng = random.Random(f"{seed}:{article.key}")
        group = by_group[article.group]
        pool = [s for a in group for s in a.sentences]
        vocabulary = sorted({w for s in pool for w in s.split()})
        others = [a for a in group if a is not article] or [article]
        for kind, text in _positives(article, others, vocabulary, rng):
            labelled.others.append(Sample(f"{article.key}~{kind}", kind, text, article.key))
        for kind, text in _negatives(article, pool, rng):
            labelled.others.append(Sample(f"{article.key}~{kind}", kind, text, None))
    random.Random(seed).shuffle(labelled.others)
    return labelled


def _documents(samples: Sequence[Sample]) -> list:
    from tasks.clean import content_hash, normalize
    from storage.record import Document

    documents = []
    for sample in samples:
        text = normalize(sample.text)
        documents.append(Document(key=sample.key, path=sample.key, text=text, content_hash=content_hash(text)))
    return documents


@dataclass
class Timing:
    dedupe: float = 0.0
    store: float = 0.0
    documents: int = 0


def ingest(url: str, documents: list, run_id: int, batch_size: int, timing: Timing) -> None:
    """Documents through the real dedupe and store functions, batch by batch."""
    from tasks.dedupe import dedupe
    from tasks.batch import Batch
    from tasks.store import store

    for start in range(0, len(documents), batch_size):
        batch = Batch(documents[start : start + batch_size])
        began = time.perf_counter()
        dedupe(batch, url)
        middle = time.perf_counter()
        store(batch, url, run_id, None)
        timing.dedupe += middle - began
        timing.store += time.perf_counter() - middle
        timing.documents += len(batch.documents)


def _link(doc) -> str | None:
    return doc.near_duplicate_of or doc.duplicate_of


def quality(labelled: Labelled, params, workdir: Path, batch_size: int) -> None:
    from storage import migrate, runs

    url = f"sqlite:///{workdir / 'quality.db'}"
    migrate.upgrade(url)
    run_id = runs.begin(url, None, "benchmark")
    timing = Timing()
    originals = _documents(labelled.originals)
    others = _documents(labelled.others)
    ingest(url, originals, run_id, batch_size, timing)
    ingest(url, others, run_id, batch_size, timing)
    canonical = {d.key: _link(d) or d.key for d in originals}
    signed = {d.key: d.signature for d in originals}
    tally: defaultdict[str, Counter[str]] = defaultdict(Counter)
    scores: defaultdict[str, list[float]] = defaultdict(list)
    for sample, doc in [*zip(labelled.originals, originals), *zip(labelled.others, others)]:
        source = sample.key.split("~")[0]
        if sample.kind != "distinct_same_language" and doc.signature and signed.get(source):
            scores[sample.kind].append(_similarity(doc.signature, signed[source]))
        predicted = _link(doc)
        expected = canonical[sample.original] if sample.original else None
        counts = tally[sample.kind]
        counts["n"] += 1
        if expected is None:
            counts["fp"] += predicted is not None
        elif predicted == expected:
            counts["tp"] += 1
        else:
            counts["fn"] += 1
            counts["fp"] += predicted is not None
    print(f"labelled set: {len(originals)} originals, {len(others)} copies and negatives "
          f"({labelled.skipped_short} articles under {2 * params.min_words} words left out)")
    print(f"{'kind':<24}{'n':>7}{'TP':>7}{'FP':>7}{'FN':>7}{'P':>8}{'R':>8}{'F1':>8}   est. Jaccard to original min/p5/p50/p95/max")
    total: Counter[str] = Counter()
    for kind in (*POSITIVE_KINDS, *NEGATIVE_KINDS):
        counts = tally[kind]
        total.update(counts)
        spread = "  ".join(f"{q:.2f}" for q in np.percentile(scores[kind], (0, 5, 50, 95, 100))) if scores[kind] else ""
        print(f"{_row(kind, counts)}   {spread}")
    print(_row("overall", total))
    print(f"dedupe: {timing.documents / timing.dedupe:,.0f} docs/s "
          f"({1000 * timing.dedupe / timing.documents:.2f} ms/doc; store {1000 * timing.store / timing.documents:.2f} ms/doc)")


def _similarity(left: bytes, right: bytes) -> float:
    from tasks.near_duplicates.signatures import from_bytes, similarity

    return similarity(from_bytes(left), from_bytes(right))


def _row(kind: str, c: Counter[str]) -> str:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    precision = f"{tp / (tp + fp):.3f}" if tp + fp else "—"
    recall = f"{tp / (tp + fn):.3f}" if tp + fn else "—"
    f1 = f"{2 * tp / (2 * tp + fp + fn):.3f}" if tp else "—"
    return f"{kind:<24}{c['n']:>7}{tp:>7}{fp:>7}{fn:>7}{precision:>8}{recall:>8}{f1:>8}"


def _explain(url: str, documents: list) -> list[str]:
    """The plan of the candidates query for one real batch (PostgreSQL: EXPLAIN ANALYZE, with buffers)."""
    from sqlalchemy import event

    from storage import near_index
    from storage.session import get_engine, session_scope
    from tasks.dedupe import sign
    from tasks.batch import Batch
    from tasks.near_duplicates.signatures import bands_of

    batch = sign(Batch(documents))
    buckets = [b for keys in bands_of([d.signature for d in batch.documents if d.signature]) for b in keys]
    engine, seen = get_engine(url), []

    def capture(_conn: object, _cursor: object, statement: str, parameters: object, _context: object, _many: bool) -> None:
        if "lsh_bands" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with session_scope(url) as session:
            near_index.candidates(session, buckets)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as connection:
        return [" | ".join(str(c) for c in row) for row in connection.exec_driver_sql(prefix + statement, parameters)]


@contextmanager
def _store(db: str, size: int, workdir: Path) -> Iterator[str]:
    """An empty store: a SQLite file in `workdir`, or a throw-away database on the PostgreSQL server `db`."""
    if db == "sqlite":
        yield f"sqlite:///{workdir / f'scale-{size}.db'}"
        return
    from benchmarks.synthetic_index import throwaway_database

    with throwaway_database(db, str(size)) as url:
        yield url


def _backend(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


def scaling(labelled: Labelled, params, workdir: Path, dbs: Sequence[str], sizes: Sequence[int], batch_size: int,
            seed: int, explain: bool) -> None:
    """Per-document dedupe+store cost of the same real batches on stores of different sizes.

    All stores are filled first; then each batch goes to every store in turn, so load
    from other processes on a shared machine hits all sizes alike. One batch warms
    caches (token hashes, connections) untimed; the cost is the median over batches.
    """
    from benchmarks.synthetic_index import fill, index_bytes
    from storage import migrate, runs

    warmup, probe = labelled.others[:batch_size], labelled.others[batch_size : 9 * batch_size]
    with ExitStack() as stack:
        stores: dict[tuple[str, int], tuple[str, int]] = {}
        sizes_on_disk: dict[tuple[str, int], dict[str, int]] = {}
        for db in dbs:
            for size in sizes:
                url = stack.enter_context(_store(db, size, workdir))
                migrate.upgrade(url)
                began = time.perf_counter()
                fill(url, size, params, seed)
                seconds = time.perf_counter() - began
                print(f"  {_backend(url)}: filled {size:,} synthetic documents ({size * params.bands:,} band rows) "
                      f"in {seconds:.1f} s, {size / seconds:,.0f} docs/s", flush=True)
                sizes_on_disk[_backend(url), size] = index_bytes(url)
                stores[_backend(url), size] = (url, runs.begin(url, None, "benchmark"))
                ingest(url, _documents(warmup), stores[_backend(url), size][1], batch_size, Timing())
        timings: defaultdict[tuple[str, int], list[Timing]] = defaultdict(list)
        for start in range(0, len(probe), batch_size):
            for key, (url, run_id) in stores.items():
                timing = Timing()
                ingest(url, _documents(probe[start : start + batch_size]), run_id, batch_size, timing)
                timings[key].append(timing)
        print(f"cost per document, median of {len(probe) // batch_size} batches of {batch_size} real documents:")
        costs = {}
        for (backend, size), batches in timings.items():
            dedupe = 1000 * float(np.median([t.dedupe / t.documents for t in batches]))
            store = 1000 * float(np.median([t.store / t.documents for t in batches]))
            both = 1000 * float(np.median([(t.dedupe + t.store) / t.documents for t in batches]))
            costs[backend, size] = (dedupe, both)
            disk = sizes_on_disk[backend, size]
            per_doc = sum(disk.values()) / size if size else 0.0
            per_row = disk.get("lsh_bands", 0) / (size * params.bands) if size else 0.0
            print(f"  {backend:<10} {size:>9,} stored: dedupe {dedupe:.2f} ms/doc, dedupe + store {both:.2f} ms/doc "
                  f"(store {store:.2f}); index on disk {per_doc:,.0f} B/doc ({per_row:.1f} B per band row; "
                  + ", ".join(f"{t} {b / 2**20:,.1f} MiB" for t, b in disk.items()) + ")")
        for backend in dict.fromkeys(b for b, _ in costs):
            dedupe_low, both_low = costs[backend, sizes[0]]
            for size in sizes[1:]:
                dedupe, both = costs[backend, size]
                verdict = "met" if dedupe / dedupe_low <= 1.5 else "NOT met"
                print(f"  {backend}: ratio {size:,} vs {sizes[0]:,}: dedupe {dedupe / dedupe_low:.2f}x ({verdict} <= 1.5x), "
                      f"dedupe + store {both / both_low:.2f}x")
        if explain:
            for (backend, size), (url, _) in stores.items():
                print(f"candidates query plan, {backend}, {size:,} stored:")
                for line in _explain(url, _documents(probe[:batch_size])):
                    print(f"    {line[:160]}{' …' if len(line) > 160 else ''}")


def main(argv: Sequence[str] | None = None) -> int:
    from tasks.near_duplicates.signatures import DEFAULT as params

    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--quick", action="store_true", help="a small run: 12 languages, 30 pages, 1k vs 10k stored")
    options.add_argument("--batch-size", type=int, default=250)
    options.add_argument("--seed", type=int, default=7)
    options.add_argument("--skip-scaling", action="store_true")
    options.add_argument("--skip-quality", action="store_true", help="only the scaling part")
    options.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")],
                         help="stored documents per scaling store, comma-separated (default 1000,10000,100000)")
    options.add_argument("--db", action="append", dest="dbs", metavar="URL",
                         help="'sqlite' (the default), or a PostgreSQL server URL on which each size gets a "
                              "throw-away database; may be given more than once")
    options.add_argument("--explain", action="store_true", help="print the candidates query's plan on every store")
    args = options.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"skipped: no corpus at {CORPUS}")
        return 0
    print(f"params: {params.shingle}-word shingles, {params.bands} bands x {params.rows} rows "
          f"({params.num_perm} permutations), threshold {params.threshold}, min {params.min_words} words")
    began = time.perf_counter()
    labelled = build(args.quick, args.seed, params.min_words)
    print(f"built in {time.perf_counter() - began:.1f} s")
    with tempfile.TemporaryDirectory(prefix="seedflow-dedup-") as folder:
        if not args.skip_quality:
            quality(labelled, params, Path(folder), args.batch_size)
        if not args.skip_scaling:
            sizes = args.sizes or ((1_000, 10_000) if args.quick else (1_000, 10_000, 100_000))
            scaling(labelled, params, Path(folder), args.dbs or ["sqlite"], sizes, args.batch_size, args.seed,
                    args.explain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
