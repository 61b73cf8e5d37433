"""WARC benchmark: the readers alone, and WARCs through `seedflow ingest` against the same pages as files.

    python benchmarks/archives.py [--size-mb N] [--workdir DIR] [--repeat R]
    python benchmarks/archives.py --end-to-end [--size-mb N] [--workdir DIR] [--repeat R]

Builds two WARCs with warcio, as a crawler writes them (gzip per record; per page a
`request`, a `response` with HTTP headers and a `metadata` record, after one `warcinfo`):

* the 200 real pages of ``../shared/corpus/html/pages``;
* a generated one of about N MB (default 200; ``--size-mb 1024`` for the 1 GB run of
  issue 16): the same pages again and again, each copy with its own URL and a paragraph
  of its own after ``<body>``, so every record is distinct.

Each reader runs in a child process (its peak RSS is its own) and reads every HTML
`response` payload with its transfer and content encodings decoded, the work seedflow
needs before extraction. `RSS growth` is the child's peak minus its RSS after imports.
`seedflow` is `tasks.containers.read_members` with the default `Limits`: fastwarc plus
the member checks, names and bounds.

Measurements are a table (`MEASURES`) of child commands.

`--end-to-end` measures `seedflow ingest` (a subprocess of the CLI, fresh SQLite store,
against a Prefect server the benchmark starts, as in benchmarks/pipeline.py):

* pages/s of the 200 corpus pages as one WARC against the same pages as 200 files, in
  the same run, interleaved `--repeat` times, the fastest of each counting; the rate is
  over the flow's own elapsed time (the summary's), so process start-up is left out;
* the generated WARC of about N MB: its ingest's peak RSS (largest process, and the
  process tree), then a re-ingest after 1 % of its records were changed (record ids
  are derived from the URL, so an unchanged record keeps its member key).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PAGES = ROOT.parent / "shared" / "corpus" / "html" / "pages"
_BODY = re.compile(rb"<body[^>]*>", re.IGNORECASE)


def corpus_pages() -> list[tuple[str, bytes]]:
    """(URL, raw bytes) of the shared pages, in a stable order; the URL is made up from the file name."""
    if not PAGES.is_dir():
        sys.exit(f"benchmarks/archives.py: the shared corpus is missing: expected {PAGES}")
    return [(f"https://corpus.example/{p.stem}", p.read_bytes()) for p in sorted(PAGES.glob("*.html"))]


def write_warc(path: Path, pages: Iterator[tuple[str, bytes]], stable_ids: bool = False) -> int:
    """A gzipped WARC of `pages` as a crawler writes it; returns the number of responses.

    With `stable_ids` a response's WARC-Record-ID is derived from its URL, so writing the
    WARC again with a few pages changed keeps the others' member keys (a recrawl would not).
    """
    import uuid

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    count = 0
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "seedflow benchmark"}))
        for url, body in pages:
            request = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", "corpus.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b""),
                                                          http_headers=request))
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                               ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            headers = {"WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}>"} if stable_ids else None
            response = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                                 warc_headers_dict=headers)
            writer.write_record(response)
            metadata = writer.create_warc_record(url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 12\r\n"),
                                                 warc_content_type="application/warc-fields")
            writer.write_record(metadata)
            count += 1
    return count


def generated_pages(pages: list[tuple[str, bytes]], target_bytes: int, seed: int = 16) -> Iterator[tuple[str, bytes]]:
    """Corpus pages repeated until about `target_bytes` of HTML, each copy made distinct."""
    rng = random.Random(seed)
    written = 0
    index = 0
    while written < target_bytes:
        url, body = pages[index % len(pages)]
        marker = f"<p>copy {index} of the benchmark, token {rng.getrandbits(64):016x}</p>".encode()
        match = _BODY.search(body)
        at = match.end() if match else 0
        copy = body[:at] + marker + body[at:]
        written += len(copy)
        yield f"{url}/{index}", copy
        index += 1


def read_with_fastwarc(path: Path) -> tuple[int, int]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    members = size = 0
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream, record_types=WarcRecordType.response | WarcRecordType.resource,
                                      auto_decode="transfer"):
            if "html" in (record.http_content_type or ""):
                size += len(record.reader.read())
                members += 1
    return members, size


def read_with_warcio(path: Path) -> tuple[int, int]:
    from warcio.archiveiterator import ArchiveIterator

    members = size = 0
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type not in ("response", "resource") or record.http_headers is None:
                continue
            if "html" in (record.http_headers.get_header("Content-Type") or ""):
                size += len(record.content_stream().read())
                members += 1
    return members, size


def read_with_seedflow(path: Path) -> tuple[int, int]:
    from tasks.containers import Limits, read_members

    members = size = 0
    with path.open("rb") as stream:
        for member in read_members(path.name, stream, Limits()).members:
            if member.rejected is None:
                size += len(member.data)
                members += 1
    return members, size


MEASURES: dict[str, Callable[[Path], tuple[int, int]]] = {
    "fastwarc": read_with_fastwarc,
    "warcio": read_with_warcio,
    "seedflow": read_with_seedflow,
}


def status_mb(field: str) -> float:
    """A size from /proc/self/status. `VmHWM` is the peak RSS of this program image: unlike
    `ru_maxrss`, which Linux carries over from the parent across fork and exec, it starts
    afresh in the child."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(reader: str, path: Path) -> None:
    """Run one reader in this (child) process and print its figures as JSON."""
    function = MEASURES[reader]
    import fastwarc.warc  # noqa: F401 - imports are paid before the baseline RSS
    import warcio.archiveiterator  # noqa: F401
    import tasks.containers  # noqa: F401

    baseline = status_mb("VmRSS")
    start = time.perf_counter()
    members, size = function(path)
    seconds = time.perf_counter() - start
    peak = status_mb("VmHWM")
    print(json.dumps({"members": members, "bytes": size, "seconds": seconds,
                      "peak_mb": peak, "growth_mb": peak - baseline}))


def measure(reader: str, path: Path, repeat: int) -> dict[str, float]:
    """The fastest of `repeat` child runs (the machine is shared; the minimum is the least disturbed)."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, __file__, "--child", reader, str(path)],
                             check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out))
    best = min(runs, key=lambda run: run["seconds"])
    best["peak_mb"] = max(run["peak_mb"] for run in runs)
    best["growth_mb"] = max(run["growth_mb"] for run in runs)
    return best


def report(label: str, path: Path, repeat: int) -> dict[str, dict[str, float]]:
    size_mb = path.stat().st_size / 2**20
    print(f"{label}: {path.name}, {size_mb:,.1f} MB on disk", flush=True)
    results = {}
    for reader in MEASURES:
        figures = measure(reader, path, repeat)
        results[reader] = figures
        rate = figures["members"] / figures["seconds"]
        html_rate = figures["bytes"] / 2**20 / figures["seconds"]
        print(f"  {reader:<9} {figures['members']:>7,} members in {figures['seconds']:6.2f} s = {rate:7,.0f} members/s "
              f"({html_rate:5.0f} MB/s of HTML); peak RSS {figures['peak_mb']:5.1f} MB, "
              f"growth {figures['growth_mb']:5.1f} MB", flush=True)
    base = results["warcio"]["seconds"]
    print(f"  fastwarc is {base / results['fastwarc']['seconds']:.1f}x warcio; "
          f"seedflow's reader {base / results['seedflow']['seconds']:.1f}x warcio")
    return results


_PARAGRAPH = re.compile(rb"<p[\s>].*?</p>", re.IGNORECASE | re.DOTALL)


def changed_share(pages: Iterator[tuple[str, bytes]], share: float = 0.01) -> Iterator[tuple[str, bytes]]:
    """The pages with every 1/share-th one's longest paragraph corrected.

    The longest paragraph is the one most likely inside the article: a paragraph added
    next to `<body>` is boilerplate to the extractor, and its page's text would not change.
    """
    step = max(1, round(1 / share))
    for index, (url, body) in enumerate(pages):
        paragraphs = list(_PARAGRAPH.finditer(body)) if index % step == step // 2 else []
        if paragraphs:
            at = max(paragraphs, key=lambda m: m.end() - m.start()).end() - len(b"</p>")
            body = body[:at] + f" (Corrected on re-crawl {index}.)".encode() + body[at:]
        yield url, body


def extraction_f1(store: Path, page_name: Callable[[dict[str, Any]], str]) -> float:
    """F1 of a store's texts against the corpus' expectations (benchmarks/extraction.py's rule);
    `page_name` maps a record to its page's file name."""
    from benchmarks.extraction import Score, load_pages, score_page
    from storage.access import export_records

    texts = {page_name(record): record["text"] for record in export_records(f"sqlite:///{store}")}
    total = Score()
    for page in load_pages():
        found = score_page(texts.get(Path(page.file).name, ""), page)
        total.tp, total.fn, total.fp = total.tp + found.tp, total.fn + found.fn, total.fp + found.fp
    return total.f1


def end_to_end(workdir: Path, pages: list[tuple[str, bytes]], size_mb: int, repeat: int) -> int:
    """pages/s through `seedflow ingest`, a WARC against files; peak RSS and 1 % re-ingest of a big WARC."""
    from benchmarks.pipeline import child_env, ingest_command, line, measure
    from flows.server import local_server

    files = workdir / "pages-as-files"
    shutil.rmtree(files, ignore_errors=True)
    files.mkdir(parents=True)
    for url, body in pages:
        (files / f"{url.rsplit('/', 1)[-1]}.html").write_bytes(body)
    one_warc = workdir / "pages-as-warc"
    shutil.rmtree(one_warc, ignore_errors=True)
    one_warc.mkdir()
    write_warc(one_warc / "corpus.warc.gz", iter(pages), stable_ids=True)
    stores = workdir / "stores"
    shutil.rmtree(stores, ignore_errors=True)
    stores.mkdir()
    print("  starting a Prefect server …", file=sys.stderr, flush=True)
    with local_server(workdir / "prefect-server") as server:
        env = child_env(workdir / "prefect-home", server["PREFECT_API_URL"])
        measure("warm-up", ingest_command(files, stores / "warm.db"), len(pages), env)
        runs = [(measure("200 pages as files", ingest_command(files, stores / f"files{i}.db"), len(pages), env),
                 measure("200 pages in one WARC", ingest_command(one_warc, stores / f"warc{i}.db"), len(pages), env))
                for i in range(repeat)]
        as_files, in_warc = (min(group, key=lambda m: m.flow_elapsed or m.wall) for group in zip(*runs))
        print(f"corpus pages through seedflow ingest (best of {repeat}):")
        print(line(as_files, f"; {as_files.outcomes()}"))
        print(line(in_warc, f"; {in_warc.outcomes()}"))
        ratio = (as_files.flow_elapsed or as_files.wall) / (in_warc.flow_elapsed or in_warc.wall)
        print(f"  pages/s through a WARC = {ratio:.2f}x the same pages as files (target >= 0.95)")
        f1_files = extraction_f1(stores / "files0.db", lambda record: record["key"])
        f1_warc = extraction_f1(stores / "warc0.db", lambda record: record["url"].rsplit("/", 1)[-1] + ".html")
        print(f"  extraction F1: {f1_files:.4f} as files, {f1_warc:.4f} through the WARC")

        big = workdir / f"generated-{size_mb}mb-stable"
        big.mkdir(exist_ok=True)
        warc = big / "generated.warc.gz"
        # Generated lazily: pages held here would count in every child's ru_maxrss, which
        # Linux carries over from the parent across fork and exec.
        count = write_warc(warc, generated_pages(pages, size_mb * 2**20), stable_ids=True)
        size = warc.stat().st_size / 2**20
        first = measure(f"generated WARC ({size:,.0f} MB, {count:,} pages)",
                        ingest_command(big, stores / "big.db"), count, env)
        print(f"generated WARC, {size:,.0f} MB on disk, {count:,} pages of HTML:")
        print(line(first, f"; {first.outcomes()}"))
        unchanged = measure("re-ingest, unchanged", ingest_command(big, stores / "big.db"), count, env)
        print(line(unchanged, f"; {unchanged.outcomes()}"))
        write_warc(warc, changed_share(generated_pages(pages, size_mb * 2**20)), stable_ids=True)
        changed = len(range(50, count, 100))
        again = measure(f"re-ingest, {changed} records changed", ingest_command(big, stores / "big.db"), count, env)
        print(line(again, f"; {again.outcomes()}"))
        warc.unlink()  # the next run writes it afresh, unchanged
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="size of the generated WARC's HTML (default 200)")
    parser.add_argument("--workdir", type=Path, help="keep the WARCs here (default: a temporary folder)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per reader; the fastest counts (default 2)")
    parser.add_argument("--end-to-end", action="store_true", help="measure `seedflow ingest` instead of the readers")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    pages = corpus_pages()
    if args.end_to_end:
        with tempfile.TemporaryDirectory(prefix="seedflow-archives-") as scratch:
            workdir = args.workdir or Path(scratch)
            workdir.mkdir(parents=True, exist_ok=True)
            return end_to_end(workdir, pages, args.size_mb, args.repeat)
    with tempfile.TemporaryDirectory(prefix="seedflow-archives-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        corpus_warc = workdir / "corpus.warc.gz"
        write_warc(corpus_warc, iter(pages))
        big_warc = workdir / f"generated-{args.size_mb}mb.warc.gz"
        if not big_warc.exists():  # a kept --workdir is reused; the name says the size
            start = time.perf_counter()
            partial = big_warc.with_suffix(".part")
            count = write_warc(partial, generated_pages(pages, args.size_mb * 2**20))
            partial.rename(big_warc)
            print(f"generated {count:,} pages in {time.perf_counter() - start:.0f} s", flush=True)
        report("corpus pages", corpus_warc, args.repeat)
        report("generated", big_warc, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
