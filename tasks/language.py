"""Stage 4: detect each document's language, deterministically, and say `und` when unsure.

The model is langdetect's: its 55 Wikipedia n-gram profiles and its character
normalisation. What differs is the inference. langdetect samples n-grams at random
until one language looks likely, so short texts get a different answer per seed and
much of a sentence is never read. Here every n-gram of the text counts (the sum that
langdetect's sampling estimates), which is deterministic without a seed, more accurate
on sentences, and vectorised: with the sampling below, a 4 KB article costs about a
sixth of what langdetect takes over the whole text.

Before the n-grams, the script decides what it can (`tasks.scripts`): single-language
scripts answer outright and the others narrow the candidates. Beside them, words found
in a language's frequent-word list (`tasks.stopwords`) settle languages that share their
spelling. Then a calibrated probability decides, for short texts, between an answer and
`und`, and the page's declared language breaks ties the detector cannot.
"""

from __future__ import annotations

import itertools
import math
import operator
import re
import threading
from collections import Counter
from typing import NamedTuple

import numpy as np
from langdetect import DetectorFactory, detector_factory
from langdetect.detector import Detector
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks import scripts
from tasks.batch import Batch
from tasks.stopwords import stopwords

UNDETERMINED = "und"
# langdetect profile names and declared HTML codes → what seedflow stores. Norwegian is
# `no` (as the issue asks): langdetect's one profile cannot tell Bokmål from Nynorsk.
_CODES = {"zh-cn": "zh", "zh-tw": "zh", "nb": "no", "nn": "no"}
# Smoothing for an n-gram a language never showed: langdetect's default alpha / BASE_FREQ.
_UNSEEN = 0.5 / 10_000
# The n-grams of neighbouring characters overlap, so their evidence is far from
# independent; dividing the log-likelihoods by this keeps the probabilities of short
# texts from claiming certainty they do not have.
TEMPERATURE = 4.0
# A text of fewer words than this (a name, a label, a two-word phrase) must reach
# MIN_PROBABILITY to be answered, else it is `und`. Longer texts are answered outright:
# their rare errors are confusions of close languages (Danish/Norwegian, Czech/Slovak)
# made with high probability, which a threshold cannot tell from right answers, so it
# would only cost coverage there. Both were calibrated on the first half of each corpus
# file and checked on the second (benchmarks/language.py prints the trade-off).
SHORT_WORDS = 3
MIN_PROBABILITY = 0.7
# Log-likelihood added per word found in a language's frequent-word list: worth a few
# characters of n-gram evidence, enough to settle close languages (tuned on first halves).
STOPWORD_WEIGHT = 8.0
# Fewer letters than this (outside single-language scripts) are no evidence at all.
MIN_LETTERS = 3
# Long texts are judged on a few spread-out windows of about this many characters in all:
# accuracy stops improving long before, and time grows with every character read.
SAMPLE_CHARS = 1_200
SAMPLE_WINDOWS = 3


class Detection(NamedTuple):
    """A language decision: code (or `und`), its probability and the top three candidates."""

    language: str
    score: float
    languages: list[dict[str, float | str]]


class _Model:
    """langdetect's profiles as one log-probability matrix, built once per process."""

    def __init__(self) -> None:
        factory = DetectorFactory()
        try:
            factory.load_profile(detector_factory.PROFILES_DIRECTORY)
        except LangDetectException as error:
            # LangDetectException does not pickle: a process pool could not report it.
            raise RuntimeError(f"langdetect profiles unusable: {error}") from None
        # Column order must not depend on the order the file system lists the profiles in.
        order = sorted(range(len(factory.langlist)), key=lambda i: factory.langlist[i])
        self.codes = [_CODES.get(factory.langlist[i], factory.langlist[i]) for i in order]
        grams = sorted(factory.word_lang_prob_map)
        self.index = {gram: row for row, gram in enumerate(grams)}
        probabilities = np.array([factory.word_lang_prob_map[g] for g in grams], dtype=np.float64)[:, order]
        self.log = np.log(probabilities + _UNSEEN).astype(np.float32)
        self.columns = self._columns_by_script(grams, probabilities)
        lists = [stopwords(code) for code in self.codes]
        words = sorted(set().union(*lists))
        self.word_index = {word: row for row, word in enumerate(words)}
        self.word_hits = np.zeros((len(words), len(self.codes)), dtype=np.float32)
        for col, members in enumerate(lists):
            self.word_hits[[self.word_index[w] for w in members], col] = STOPWORD_WEIGHT

    def _columns_by_script(self, grams: list[str], probabilities: np.ndarray) -> dict[str, np.ndarray]:
        """Each profile's script is the one its single letters mostly are in."""
        weight: dict[int, Counter[str]] = {col: Counter() for col in range(len(self.codes))}
        for row, gram in enumerate(grams):
            if len(gram) != 1:
                continue
            script = scripts.profile(gram).main
            if script is None:
                continue
            for col in np.flatnonzero(probabilities[row]):
                weight[int(col)][script] += float(probabilities[row, col])
        by_script: dict[str, list[int]] = {}
        for col, counts in weight.items():
            by_script.setdefault(counts.most_common(1)[0][0], []).append(col)
        return {script: np.array(cols) for script, cols in by_script.items()}


class _Normalizer(dict[int, str]):
    """str.translate table for langdetect's per-character normalisation, filled on demand."""

    def __missing__(self, codepoint: int) -> str:
        normalized = NGram.normalize(chr(codepoint))
        self[codepoint] = normalized
        return normalized


_lock = threading.Lock()
_model: _Model | None = None
_normalizer = _Normalizer()
# Letters of other scripts, digits and punctuation all become word breaks.
_NOT_IN_SCRIPT = {name: re.compile(f"[^{chars}]+") for name, chars in scripts.RANGES.items()}
# Words with two capitals in a row (acronyms, shouting) say little about the language;
# langdetect skips them too.
_ACRONYMS = re.compile(r"\S*[A-Z\u00c0-\u00de\u0391-\u03a9\u0410-\u042f]{2}\S*")


def _get_model() -> _Model:
    """Build the model once per process, under a lock: threads must not build it twice."""
    global _model
    with _lock:
        if _model is None:
            _model = _Model()
    return _model


def _sample(text: str) -> str:
    """The whole text if short, else a few windows spread over it (start, middle, end).

    Each window is trimmed to whole words: a word cut in half makes n-grams of no language.
    """
    if len(text) <= SAMPLE_CHARS:
        return text
    width = SAMPLE_CHARS // SAMPLE_WINDOWS
    step = (len(text) - width) // (SAMPLE_WINDOWS - 1)
    windows = []
    for start in range(0, step * SAMPLE_WINDOWS, step):
        window = text[start : start + width]
        if start > 0:
            window = window.partition(" ")[2]
        if start + width < len(text):
            window = window.rpartition(" ")[0]
        windows.append(window)
    return " ".join(windows)


def _words(text: str, script: str) -> list[str]:
    """The words written in `script`, normalised as langdetect does, acronyms left out."""
    text = NGram.normalize_vi(Detector.MAIL_RE.sub(" ", Detector.URL_RE.sub(" ", text)))
    return _ACRONYMS.sub(" ", _NOT_IN_SCRIPT[script].sub(" ", text).translate(_normalizer)).split()


def _ngrams(words: list[str]) -> Counter[str]:
    """langdetect's 1-, 2- and 3-grams of `words`, each word padded with a space."""
    padded = f" {' '.join(words)} "
    # Slicing by zipping shifted copies runs in C; a trigram spanning two words ("a b")
    # is in no profile, so it simply finds no row.
    bigrams = map(operator.add, padded, padded[1:])
    trigrams = map(operator.add, map(operator.add, padded, padded[1:]), padded[2:])
    grams = Counter(itertools.chain(padded, bigrams, trigrams))
    del grams[" "]
    return grams


def _loglik(words: list[str], text: str, script: str) -> dict[str, float]:
    """Log-likelihood under each language written in `script` (empty: no evidence).

    `words` give the n-grams; the frequent-word lists are matched against the raw `text`,
    lowercased, since langdetect's normalisation would spell some words differently.
    """
    model = _get_model()
    columns = model.columns.get(script)
    found = [(row, n) for gram, n in _ngrams(words).items() if (row := model.index.get(gram)) is not None]
    if not found or columns is None:
        return {}
    rows, counts = zip(*found)
    # Multiply and sum rather than `@`: BLAS may split a product across threads and so
    # change the last bits between processes; numpy's own summation order is fixed.
    weighted = model.log[np.array(rows)][:, columns] * np.array(counts, dtype=np.float64)[:, None]
    loglik = weighted.sum(axis=0)
    # Split on what is not the script's (not on `\W`, which would cut Indic words at their vowel signs).
    lowered = _NOT_IN_SCRIPT[script].sub(" ", text.lower()).split()
    hits = [row for word in lowered if (row := model.word_index.get(word)) is not None]
    if hits:
        loglik += model.word_hits[np.array(hits)][:, columns].sum(axis=0, dtype=np.float64)
    merged: dict[str, float] = {}
    for col, value in zip(columns, loglik):
        code = model.codes[col]
        merged[code] = float(np.logaddexp(merged[code], value)) if code in merged else float(value)
    return merged


def _rank(loglik: dict[str, float]) -> list[tuple[str, float]]:
    """Languages with calibrated probabilities, best first (ties by code, for determinism)."""
    if not loglik:
        return []
    top = max(loglik.values())
    weights = {code: math.exp((value - top) / TEMPERATURE) for code, value in loglik.items()}
    total = sum(weights.values())
    return sorted(((code, w / total) for code, w in weights.items()), key=lambda pair: (-pair[1], pair[0]))


def warm_up() -> None:
    """Load the model up front, e.g. once in each worker process of a pool."""
    _get_model()


def detect(text: str, hint: str | None = None, min_probability: float = MIN_PROBABILITY) -> Detection:
    """The language of `text`, or `und`; `hint`, the page's declared language, breaks ties.

    The hint is only heard when the detector is unsure (a short text below the threshold)
    and the hint is among its three best candidates: declared languages are often a
    site-wide default, so they must not overrule what the text itself shows.

    `min_probability` is there for the benchmark's trade-off table; callers keep the default.
    """
    sample = _sample(text)
    profile = scripts.profile(sample)
    script = profile.main
    if script is None:
        return Detection(UNDETERMINED, 0.0, [])
    outright = scripts.language_of_script(script, _CODES.get(hint or "", hint))
    if outright is not None:
        return Detection(outright, 1.0, [{"language": outright, "score": 1.0}])
    words = _words(sample, script)
    ranked = _rank(_loglik(words, sample, script)) if profile.counts[script] >= MIN_LETTERS else []
    if not ranked:
        return Detection(UNDETERMINED, 0.0, [])
    top = [{"language": code, "score": round(p, 4)} for code, p in ranked[:3]]
    best, probability = ranked[0]
    if len(words) >= SHORT_WORDS or probability >= min_probability:
        return Detection(best, round(probability, 4), top)
    hint = _CODES.get(hint or "", hint)
    for code, p in ranked[:3]:
        if code == hint:
            return Detection(code, round(p, 4), top)
    return Detection(UNDETERMINED, round(probability, 4), top)


def detect_language(batch: Batch) -> Batch:
    """Set `language`, `language_score` and `languages` on every pending document."""
    counts: Counter[str] = Counter()
    for doc in batch.pending():
        doc.language, doc.language_score, doc.languages = detect(doc.text, doc.language_hint)
        counts[doc.language] += 1
    batch.counts.update({f"language.{k}": v for k, v in counts.items()})
    return batch


detect_language_task = task(name="detect-language", cache_policy=NO_CACHE, persist_result=False)(detect_language)
