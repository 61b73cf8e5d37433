"""Stage 3: normalise text so that equal content looks equal, and hash it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.batch import Batch

# Control and format characters other than newline and tab (which become spaces).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC, `\\n` line endings, no control characters, single spaces, paragraphs kept."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text.replace("\t", " "))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def content_hash(text: str) -> str:
    """sha256 of a key that ignores case, compatibility forms and whitespace."""
    key = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def clean(batch: Batch) -> Batch:
    """Normalise every pending document; one that cleans to nothing is rejected."""
    counts: Counter[str] = Counter()
    for doc in batch.pending():
        doc.text = normalize(doc.text)
        doc.title = normalize(doc.title) or None if doc.title else None
        if not doc.text:
            doc.reject("no text left after cleaning")
            counts["rejected"] += 1
            continue
        doc.content_hash = content_hash(doc.text)
        counts["cleaned"] += 1
    batch.counts.update({f"clean.{k}": v for k, v in counts.items()})
    return batch


clean_task = task(name="clean", cache_policy=NO_CACHE, persist_result=False)(clean)
