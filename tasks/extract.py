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
from storage.status import Status
from tasks.batch import Batch, Payload
from tasks.formats import Hints, Rejected, format_for, isolation
from tasks.sources.base import EntryChanging, ReadError, Source, SourceEntry

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def parse(
    doc: Document,
    data: bytes,
    hints: Hints | None = None,
    content_type: str | None = None,
    max_seconds: float = isolation.MAX_SECONDS,
) -> None:
    """Fill the document's text and metadata from its bytes, or reject it with the reason.

    `hints` and `content_type` are what a container said about a member; a file's own
    key is its only hint. A native parser (an `isolated` format) runs in a worker process:
    one that takes longer than `max_seconds`, runs out of memory or crashes rejects its
    file, not the run.
    """
    hints = hints or Hints(name=doc.key)
    try:
        chosen = format_for(hints.name, data, content_type)
    except Rejected as refusal:
        doc.reject(str(refusal))
        return
    doc.format = chosen.name
    try:
        found = isolation.extract(chosen, data, hints, max_seconds)
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


def parse_member(doc: Document, payload: Payload, max_seconds: float = isolation.MAX_SECONDS) -> None:
    """A container member: its container's date is the fallback, a title it states comes first."""
    parse(doc, payload.data, payload.hints, payload.content_type, max_seconds)
    if doc.status != Status.REJECTED:
        doc.published = doc.published or payload.hints.published
        doc.title = payload.title or doc.title


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
        payload = batch.payloads.pop(doc.key, None)
        if payload is not None:
            parse_member(doc, payload, max_seconds)
        else:
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
            parse(doc, data, max_seconds=max_seconds)
        counts["rejected" if doc.status == "rejected" else "extracted"] += 1
        if doc.format:
            batch.counts[f"format.{doc.format}"] += 1
    batch.payloads.clear()  # the bytes are not carried through the later stages
    batch.counts.update({f"extract.{k}": v for k, v in counts.items()})
    return batch


extract_task = task(name="extract", cache_policy=NO_CACHE, persist_result=False)(extract)
