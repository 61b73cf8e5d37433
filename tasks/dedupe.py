"""Stage 5: link exact copies to the first document with the same content, near copies to their cluster's canonical.

`link_copies` decides, purely, from what the store knows (`tasks.near_duplicates.lookup`);
`dedupe` is the stage: it signs the batch, reads what it needs, and links. The store
stage runs `link_copies` again, under the index lock, when another writer moved the
index on in between, so two runs storing copies of one text at once still agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from prefect import task
from prefect.cache_policies import NO_CACHE

from storage import near_index
from storage.session import session_scope
from tasks.batch import Batch
from tasks.near_duplicates import signatures
from tasks.near_duplicates.clustering import link
from tasks.near_duplicates.lookup import Known, known_for
from tasks.near_duplicates.signatures import SignatureParams


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


def mark_near_duplicates(batch: Batch, known: Known) -> Batch:
    """Link near copies among the batch and the stored candidates (`clustering.link`).

    Exact copies keep only `duplicate_of`: their original already stands for them.
    """
    counts = link(batch.pending(), known.entries, known.ranks)
    batch.counts.update({f"dedupe.{k}": v for k, v in counts.items()})
    return batch


def link_copies(batch: Batch, known: Known) -> Batch:
    """Exact, then near links of the batch's signed documents against `known` and each other."""
    return mark_near_duplicates(mark_exact_duplicates(batch, known.first_seen), known)


def sign(batch: Batch, params: SignatureParams = signatures.DEFAULT) -> Batch:
    """Give each pending document its MinHash signature.

    Texts shorter than `params.min_words` get none: too few shingles to estimate a
    Jaccard similarity, so they are deduplicated exactly only.
    """
    for doc in batch.pending():
        values = signatures.signature(doc.text, params)
        doc.signature = None if values is None else signatures.to_bytes(values)
    return batch


def dedupe(batch: Batch, db_url: str) -> Batch:
    """Exact and near deduplication against everything stored and the rest of the batch.

    The generation read first tells the store stage whether these links still hold
    when it writes them.
    """
    sign(batch)
    with session_scope(db_url) as session:
        batch.linked_at = near_index.generation(session)
        known = known_for(session, batch.pending())
    return link_copies(batch, known)


dedupe_task = task(name="dedupe", cache_policy=NO_CACHE, persist_result=False)(dedupe)
