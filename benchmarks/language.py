"""Language identification benchmark: seedflow's `detect` against plain seeded langdetect.

Usage: python benchmarks/language.py [--sample N]

Data: ../shared/corpus/lang/{sentences,word-pairs,single-words}/<code>.txt beside the
checkout (lingua-py's test data). Only languages langdetect has a profile for are scored.
Each file is split in halves: the first half is where seedflow's thresholds were tuned,
the second is held out; the main table is on the second half, the threshold trade-off
on both. A "document" is five consecutive sentences (every start position).

An answer is right, wrong, or `und` (no answer, which is not wrong). Corpus `nb`
(Bokmål) is right when answered `no`, seedflow's and langdetect's code for Norwegian.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from langdetect import DetectorFactory, detector_factory
from langdetect.lang_detect_exception import LangDetectException

from tasks import language

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "lang"
KINDS = ("documents", "sentences", "word-pairs", "single-words")
# Corpus file code → the code a detector must answer.
EXPECTED = {"nb": "no"}
LANGDETECT_CODES = {"zh-cn": "zh", "zh-tw": "zh"}
THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
SENTENCES_PER_DOCUMENT = 5
ARTICLE_CHARS = 4096

Item = tuple[str, str]  # (expected code, text)
Detect = Callable[[str], str]


@dataclass
class Score:
    """Right / wrong / und counts, overall and per expected language."""

    right: int = 0
    wrong: int = 0
    und: int = 0
    per_language: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, expected: str, answer: str) -> None:
        outcome = "und" if answer == language.UNDETERMINED else "right" if answer == expected else "wrong"
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.per_language.setdefault(expected, Counter())[outcome] += 1

    @property
    def total(self) -> int:
        return self.right + self.wrong + self.und

    def rates(self) -> str:
        n = max(self.total, 1)
        return f"{100 * self.right / n:7.2f}% {100 * self.wrong / n:6.2f}% {100 * self.und / n:6.2f}%"


def supported_languages() -> list[str]:
    """Corpus languages that langdetect has a profile for (so both detectors can be scored)."""
    profiles = {LANGDETECT_CODES.get(name, name) for name in os.listdir(detector_factory.PROFILES_DIRECTORY)}
    return sorted(p.stem for p in (CORPUS / "sentences").glob("*.txt") if EXPECTED.get(p.stem, p.stem) in profiles)


def load(kind: str, code: str, half: int) -> list[str]:
    """One half of a corpus file (0: tuning half, 1: held-out half), blank lines dropped."""
    lines = [line.strip() for line in (CORPUS / kind / f"{code}.txt").read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    middle = len(lines) // 2
    return lines[:middle] if half == 0 else lines[middle:]


def items(kind: str, codes: list[str], half: int, sample: int | None) -> list[Item]:
    """The labelled texts of one kind; with `sample`, the first N per language."""
    result: list[Item] = []
    for code in codes:
        if kind == "documents":
            sentences = load("sentences", code, half)
            texts = [
                " ".join(sentences[i : i + SENTENCES_PER_DOCUMENT])
                for i in range(len(sentences) - SENTENCES_PER_DOCUMENT + 1)
            ]
        else:
            texts = load(kind, code, half)
        result.extend((EXPECTED.get(code, code), text) for text in texts[:sample])
    return result


def plain_langdetect() -> Detect:
    """langdetect as most projects call it: whole text, fixed seed, exceptions mean `und`."""
    factory = DetectorFactory()
    factory.load_profile(detector_factory.PROFILES_DIRECTORY)
    factory.set_seed(0)

    def detect(text: str) -> str:
        detector = factory.create()
        detector.append(text)
        try:
            code = detector.detect()
        except LangDetectException:
            return language.UNDETERMINED
        return LANGDETECT_CODES.get(code, code)

    return detect


def score(detect: Detect, data: list[Item]) -> tuple[Score, float]:
    """Score a detector on `data`; also the seconds it took."""
    result = Score()
    start = time.perf_counter()
    for expected, text in data:
        result.add(expected, detect(text))
    return result, time.perf_counter() - start


def articles(codes: list[str]) -> list[str]:
    """One ~4 KB article per language, made of consecutive held-out sentences."""
    made = []
    for code in codes:
        text = ""
        for sentence in load("sentences", code, 1):
            text += sentence + " "
            if len(text) >= ARTICLE_CHARS:
                break
        made.append(text[:ARTICLE_CHARS])
    return made


def ms_per_article(detect: Detect, texts: list[str], repeat: int = 3) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            detect(text)
    return 1000 * (time.perf_counter() - start) / (repeat * len(texts))


def rss_mb() -> float:
    """Resident memory now (Linux), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, help="score only the first N items per language and kind")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: no language corpus at {CORPUS} (shared/ must sit beside the checkout)")
        return 0

    codes = supported_languages()
    before = rss_mb()
    language.detect("warm-up: the model loads once per process")
    model_mb = rss_mb() - before
    before = rss_mb()
    langdetect = plain_langdetect()
    langdetect_mb = rss_mb() - before
    detectors: dict[str, Detect] = {"seedflow": lambda text: language.detect(text).language, "langdetect": langdetect}
    print(f"{len(codes)} languages; held-out half; sample: {args.sample or 'all'}\n")

    print(f"{'kind':<13} {'detector':<10} {'items':>6} {'right':>8} {'wrong':>7} {'und':>7} {'items/s':>8}")
    scores: dict[tuple[str, str], Score] = {}
    for kind in KINDS:
        data = items(kind, codes, 1, args.sample)
        for name, detect in detectors.items():
            result, seconds = score(detect, data)
            scores[kind, name] = result
            print(f"{kind:<13} {name:<10} {result.total:>6} {result.rates()} {result.total / seconds:>8.0f}")

    print("\nWorst ten languages on sentences (seedflow right%, wrong%; langdetect right%):")
    per = scores["sentences", "seedflow"].per_language
    other = scores["sentences", "langdetect"].per_language
    for code in sorted(per, key=lambda c: (per[c]["right"] / per[c].total(), c))[:10]:
        n, m = per[code].total(), other[code].total()
        print(
            f"  {code:<4} {100 * per[code]['right'] / n:6.1f} {100 * per[code]['wrong'] / n:6.1f}"
            f"   {100 * other[code]['right'] / m:6.1f}"
        )

    texts = articles(codes)
    ours, theirs = ms_per_article(detectors["seedflow"], texts), ms_per_article(langdetect, texts)
    print(f"\n4 KB article: seedflow {ours:.2f} ms, langdetect {theirs:.2f} ms (ratio {ours / theirs:.2f})")
    print(f"memory: seedflow model {model_mb:.0f} MB, langdetect profiles {langdetect_mb:.0f} MB")

    print(
        f"\nThreshold trade-off (texts under {language.SHORT_WORDS} words need the probability;"
        " right / wrong / und; tuning half → held-out half):"
    )
    for kind in ("sentences", "word-pairs", "single-words"):
        halves = [items(kind, codes, half, args.sample) for half in (0, 1)]
        for threshold in THRESHOLDS:
            cells = []
            for data in halves:
                result, _ = score(lambda text: language.detect(text, min_probability=threshold).language, data)
                cells.append(result.rates())
            mark = "  ← in use" if threshold == language.MIN_PROBABILITY else ""
            print(f"  {kind:<13} p ≥ {threshold:<4}  {cells[0]}  →  {cells[1]}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
