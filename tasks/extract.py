"""Stage 2: read each entry once, hash its bytes, and turn it into text and metadata.

Every way a single entry can be bad (unreadable, binary, undecodable, unparsable) ends
as that document's rejection reason; none of them stops the rest of the batch.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from prefect import task
from prefect.cache_policies import NO_CACHE

from storage.record import Document
from tasks.batch import Batch
from tasks.formats import Hints, Rejected, format_for, isolation
from tasks.sources.base import EntryChanging, ReadError, Source, SourceEntry

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def parse(doc: Document, data: bytes, max_seconds: float = isolation.MAX_SECONDS) -> None:
    """Fill the document's text and metadata from its bytes, or reject it with the reason.

    A native parser (an `isolated` format) runs in a worker process: one that takes longer
    than `max_seconds`, runs out of memory or crashes rejects its file, not the run.
    """
    try:
        chosen = format_for(doc.key, data)
    except Rejected as refusal:
        doc.reject(str(refusal))
        return
    doc.format = chosen.name
    try:
        found = isolation.extract(chosen, data, Hints(name=doc.key), max_seconds)
    except Rejected as refusal:
        doc.encoding = refusal.encoding
        doc.reject(str(refusal))
        return
    except Exception as error:  # noqa: BLE001 - a format's bug on one file must not fail the batch
        doc.reject(f"could not parse {chosen.name}: {type(error).__name__}")
        return
    doc.text, doc.title, doc.published, doc.encoding = found.text, found.title, found.published, found.encoding
    doc.author, doc.canonical_url, doc.language_hint = found.author, found.canonical_url, found.language_hint
    doc.pages = found.pages


def extract(
    batch: Batch,
    source: Source,
    max_bytes: int = DEFAULT_MAX_BYTES,
    settle_seconds: float = 0.0,
    max_seconds: float = isolation.MAX_SECONDS,
) -> Batch:
    """Read and parse every pending document; one that fails is rejected with its reason."""
    counts: Counter[str] = Counter()
    for doc in batch.pending():
        entry = SourceEntry(key=doc.key, location=doc.path, size=doc.size, mtime_ns=doc.mtime_ns)
        try:
            snapshot = source.read(entry, max_bytes, settle_seconds)
        except ReadError as error:
            doc.reject(str(error))
            counts["rejected"] += 1
            continue
        except EntryChanging:
            doc.deferred = True
            counts["deferred"] += 1
            continue
        data, doc.size, doc.mtime_ns = snapshot.data, snapshot.size, snapshot.mtime_ns
        doc.file_sha256 = hashlib.sha256(data).hexdigest()
        if doc.file_sha256 == doc.previous_sha256:
            doc.unchanged = True
            counts["unchanged"] += 1
            continue
        parse(doc, data, max_seconds)
        counts["rejected" if doc.status == "rejected" else "extracted"] += 1
        if doc.format:
            batch.counts[f"format.{doc.format}"] += 1
    batch.counts.update({f"extract.{k}": v for k, v in counts.items()})
    return batch


extract_task = task(name="extract", cache_policy=NO_CACHE, persist_result=False)(extract)
