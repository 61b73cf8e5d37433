"""Main-text extraction benchmark on the shared HTML corpus: seedflow against bs4 get_text,
and against seedflow's own extraction at an earlier commit.

Speed is given as wall-clock pages/s and as CPU time per page; the latter is the steadier
figure on a shared machine. The comparison with the earlier commit runs both versions in
this one process, page by page and in alternating order, so that the load other processes
put on the machine (and warm caches) weigh on both alike: the CPU ratio is the figure to
read, not the milliseconds.

Run as `python benchmarks/extraction.py [--against REV]` from the repository root (REV
defaults to the commit before issue 20's speed-up; `--against ''` skips it). The corpus lives
in `<repo root>/../shared/corpus/html` (see shared/README.md); without it the benchmark skips.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "html"
# The extraction as it was before issue 20 made it cheaper (F1 0.952 on the corpus).
BASELINE_REV = "7c4b6c2"


@dataclass(frozen=True)
class Page:
    file: str
    markup: str
    with_segments: tuple[str, ...]
    without_segments: tuple[str, ...]


@dataclass
class Score:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    pages: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu_seconds / self.pages if self.pages else 0.0

    def line(self, name: str) -> str:
        return (
            f"{name:<16} P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f} "
            f"(TP={self.tp} FN={self.fn} FP={self.fp}) {self.pages_per_second:6.1f} pages/s "
            f"({self.cpu_ms_per_page:.1f} ms CPU/page)"
        )


def load_pages(corpus: Path = CORPUS) -> list[Page]:
    """Every page of the corpus with its expected and unwanted segments, in file order.

    Pages are decoded as the pipeline decodes them, and both extractors get the same markup.
    """
    from tasks.decode import decode_html

    entries = json.loads((corpus / "expectations.json").read_text(encoding="utf-8"))
    return [
        Page(
            file=entry["file"],
            markup=decode_html((corpus / entry["file"]).read_bytes())[0],
            with_segments=tuple(entry["with"]),
            without_segments=tuple(entry["without"]),
        )
        for entry in sorted(entries, key=lambda e: e["file"])
    ]


def score_page(text: str, page: Page) -> Score:
    """Segments found or missed in one extracted text, by the corpus' scoring rule."""
    from tasks.whitespace import folded

    haystack = folded(text)
    found = [folded(segment) in haystack for segment in page.with_segments]
    unwanted = [folded(segment) in haystack for segment in page.without_segments]
    return Score(tp=sum(found), fn=len(found) - sum(found), fp=sum(unwanted))


def evaluate(extractor: Callable[[str], str], pages: Iterable[Page]) -> Score:
    """Summed score and wall time of `extractor` over `pages`."""
    total = Score()
    for page in pages:
        started, started_cpu = time.perf_counter(), time.process_time()
        text = extractor(page.markup)
        total.seconds += time.perf_counter() - started
        total.cpu_seconds += time.process_time() - started_cpu
        page_score = score_page(text, page)
        total.tp += page_score.tp
        total.fn += page_score.fn
        total.fp += page_score.fp
        total.pages += 1
    return total


def seedflow_text(markup: str) -> str:
    from tasks.html.text import extract_html

    return extract_html(markup).text


def bs4_text(markup: str) -> str:
    """The naive anchor: every visible string of the page."""
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "lxml")
    for element in soup(["script", "style", "noscript", "template"]):
        element.decompose()
    return soup.get_text("\n")


def extractor_at(rev: str) -> Callable[[str], str] | None:
    """`seedflow_text` as commit `rev` had it, importable beside today's; None without git or rev.

    The commit's `tasks` package is unpacked into a temporary folder and imported, its
    `extract_html` kept, and its modules dropped from `sys.modules` again: the function holds
    its own module's globals, so today's package imports cleanly afterwards.
    """
    folder = tempfile.mkdtemp(prefix="seedflow-extraction-")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "tasks"], capture_output=True, check=False)
    if archive.returncode:
        return None
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    ours = {name: module for name, module in sys.modules.items() if name == "tasks" or name.startswith("tasks.")}
    for name in ours:
        del sys.modules[name]
    sys.path.insert(0, folder)
    try:
        from tasks.html.text import extract_html
    finally:
        sys.path.remove(folder)
        for name in [name for name in sys.modules if name == "tasks" or name.startswith("tasks.")]:
            del sys.modules[name]
        sys.modules.update(ours)
    return lambda markup: extract_html(markup).text


def compare(new: Callable[[str], str], old: Callable[[str], str], pages: list[Page]) -> tuple[Score, Score]:
    """Both extractors over `pages`, one page at a time, which one runs first alternating."""
    scores = (Score(), Score())
    for index, page in enumerate(pages):
        order = ((0, new), (1, old)) if index % 2 else ((1, old), (0, new))
        for slot, extractor in order:
            result = evaluate(extractor, [page])
            total = scores[slot]
            total.tp, total.fn, total.fp = total.tp + result.tp, total.fn + result.fn, total.fp + result.fp
            total.seconds += result.seconds
            total.cpu_seconds += result.cpu_seconds
            total.pages += 1
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default=BASELINE_REV, help="earlier commit to compare with ('' to skip)")
    args = parser.parse_args()
    if not (CORPUS / "expectations.json").is_file():
        print(f"skipped: no corpus at {CORPUS} (shared/ must sit beside the repository)")
        return 0
    sys.path.insert(0, str(ROOT))
    pages = load_pages()
    print(f"{len(pages)} pages from {CORPUS}")
    for name, extractor in (("seedflow", seedflow_text), ("bs4 get_text", bs4_text)):
        print(evaluate(extractor, pages).line(name))
    for half, subset in (("even", pages[0::2]), ("odd", pages[1::2])):
        print(evaluate(seedflow_text, subset).line(f"seedflow {half}"))
    old = extractor_at(args.against) if args.against else None
    if args.against and old is None:
        print(f"skipped: commit {args.against} not found (needs git and the repository's history)")
    if old is not None:
        new_score, old_score = compare(seedflow_text, old, pages)
        print(f"same run, interleaved page by page, against {args.against}:")
        print(new_score.line("seedflow"))
        print(old_score.line(f"at {args.against}"))
        print(f"CPU per page: {new_score.cpu_ms_per_page / old_score.cpu_ms_per_page:.2f}x of {args.against}'s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
