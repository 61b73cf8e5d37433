"""Stage 5: link exact copies to the first document with the same content, near copies to their cluster's canonical."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from prefect import task
from prefect.cache_policies import NO_CACHE

from storage import near_duplicates, queries
from storage.session import session_scope
from tasks import signatures
from tasks.document import Batch
from tasks.near_duplicates import Entry, Rank, link
from tasks.signatures import SignatureParams


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


def sign(batch: Batch, params: SignatureParams = signatures.DEFAULT) -> list[int]:
    """Give each pending document its MinHash signature; returns the batch's band keys.

    Texts shorter than `params.min_words` get none: too few shingles to estimate a
    Jaccard similarity, so they are deduplicated exactly only.
    """
    for doc in batch.pending():
        values = signatures.signature(doc.text, params)
        doc.signature = None if values is None else signatures.to_bytes(values)
    signed = [d.signature for d in batch.pending() if d.signature is not None]
    return [key for keys in signatures.bands_of(signed, params) for key in keys]


def mark_near_duplicates(
    batch: Batch, entries: Mapping[str, Entry], ranks: Mapping[str, Rank], params: SignatureParams = signatures.DEFAULT
) -> Batch:
    """Link near copies among the batch and the stored candidates (`tasks.near_duplicates.link`).

    `ranks` holds the first-seen order of the batch's documents stored before.
    Exact copies keep only `duplicate_of`: their original already stands for them.
    """
    counts = link(batch.pending(), entries, ranks, params)
    batch.counts.update({f"dedupe.{k}": v for k, v in counts.items()})
    return batch


def dedupe(batch: Batch, db_url: str, params: SignatureParams = signatures.DEFAULT) -> Batch:
    """Exact and near deduplication against everything stored and the rest of the batch.

    The links set here are what the batch gets against the store as it is now; the
    store keeps them if no other writer changed the index in between (the generation,
    read first, is how it knows), and links the batch again under its lock otherwise.
    """
    pending = batch.pending()
    hashes = [d.content_hash for d in pending if d.content_hash]
    buckets = sign(batch, params)
    with session_scope(db_url) as session:
        batch.linked_at = near_duplicates.generation(session)
        first_seen = queries.first_keys_by_hash(session, hashes)
        entries = near_duplicates.candidates(session, buckets)
        ranks = near_duplicates.ranks(session, [d.key for d in pending])
    mark_exact_duplicates(batch, first_seen)
    return mark_near_duplicates(batch, entries, ranks, params)


dedupe_task = task(name="dedupe", cache_policy=NO_CACHE, persist_result=False)(dedupe)
