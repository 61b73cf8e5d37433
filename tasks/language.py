"""Stage 4: detect each document's language with langdetect, deterministically."""

from __future__ import annotations

import threading
from collections import Counter

from langdetect import DetectorFactory, detector_factory
from langdetect.lang_detect_exception import LangDetectException
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.document import Batch

UNDETERMINED = "und"
# Fewer letters than this give langdetect too little to go on; it would guess.
MIN_LETTERS = 12
# langdetect only reads this many characters; slicing first saves copying long texts.
SAMPLE_CHARS = 10_000
_CODES = {"zh-cn": "zh", "zh-tw": "zh"}
_lock = threading.Lock()
_factory: DetectorFactory | None = None


def _get_factory() -> DetectorFactory:
    """Load the profiles once per process; langdetect's own lazy init races between threads."""
    global _factory
    with _lock:
        if _factory is None:
            factory = DetectorFactory()
            factory.load_profile(detector_factory.PROFILES_DIRECTORY)
            factory.set_seed(0)
            _factory = factory
    return _factory


def warm_up() -> None:
    """Load the profiles up front, e.g. once in each worker process of a pool."""
    _get_factory()


def detect(text: str) -> tuple[str, float, list[dict[str, float | str]]]:
    """ISO 639-1 code, its probability and the top three candidates; `und` when unsure."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return UNDETERMINED, 0.0, []
    detector = _get_factory().create()
    detector.append(sample)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:
        return UNDETERMINED, 0.0, []
    candidates = [{"language": _CODES.get(c.lang, c.lang), "score": round(c.prob, 4)} for c in ranked[:3]]
    if not candidates:
        return UNDETERMINED, 0.0, []
    best = candidates[0]
    return str(best["language"]), float(best["score"]), candidates


def detect_language(batch: Batch) -> Batch:
    """Set `language`, `language_score` and `languages` on every pending document."""
    counts: Counter[str] = Counter()
    for doc in batch.pending():
        doc.language, doc.language_score, doc.languages = detect(doc.text)
        counts[doc.language] += 1
    batch.counts.update({f"language.{k}": v for k, v in counts.items()})
    return batch


detect_language_task = task(name="detect-language", cache_policy=NO_CACHE, persist_result=False)(detect_language)
