"""Main-text extraction benchmark on the shared HTML corpus: seedflow against bs4 get_text.

Speed is given as wall-clock pages/s and as CPU time per page; the latter is the steadier
figure on a shared machine.

Run as `python benchmarks/extraction.py` from the repository root. The corpus lives in
`<repo root>/../shared/corpus/html` (see shared/README.md); without it the benchmark skips.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "html"


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


def main() -> int:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
