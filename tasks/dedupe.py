"""Stage 5: link exact copies to the document first seen with the same content."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from prefect import task
from prefect.cache_policies import NO_CACHE

from storage import queries
from storage.session import session_scope
from tasks.document import Batch


def mark_exact_duplicates(batch: Batch, first_seen: Mapping[str, str]) -> Batch:
    """Point each document at the earliest key with its content hash, itself excluded.

    `first_seen` holds what the store already has; within the batch, documents are in
    discovery order, so the first of them to carry a new hash becomes its original.
    """
    known = dict(first_seen)
    counts: Counter[str] = Counter()
    for doc in batch.pending():
        if doc.content_hash is None:
            continue
        original = known.setdefault(doc.content_hash, doc.key)
        doc.duplicate_of = original if original != doc.key else None
        counts["duplicate" if doc.duplicate_of else "unique"] += 1
    batch.counts.update({f"dedupe.{k}": v for k, v in counts.items()})
    return batch


def dedupe(batch: Batch, db_url: str) -> Batch:
    """Exact deduplication against everything stored and the rest of the batch."""
    hashes = [d.content_hash for d in batch.pending() if d.content_hash]
    with session_scope(db_url) as session:
        first_seen = queries.first_keys_by_hash(session, hashes)
    return mark_exact_duplicates(batch, first_seen)


dedupe_task = task(name="dedupe", cache_policy=NO_CACHE, persist_result=False)(dedupe)
