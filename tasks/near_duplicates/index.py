"""How the near-duplicate index follows a batch's writes: new rows, and clusters re-settled.

Runs in the store stage's transaction, under the index lock, after the versions are
written; the decisions are `tasks.near_duplicates.clustering`'s, the SQL the index's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from storage import near_index, versions
from storage.near_index import Entry, IndexRow
from storage.record import Document
from storage.status import Status
from tasks.near_duplicates import signatures
from tasks.near_duplicates.clustering import rehome


def reindex(session: Session, documents: Sequence[Document], ids: Mapping[str, int]) -> None:
    """Replace the index rows of every re-read document with its current state.

    Exact copies are left out: their original stands for them in the index.
    """
    indexed = [d for d in documents if d.pending and d.signature is not None and not d.duplicate_of]
    outside = sorted({d.near_duplicate_of for d in indexed if d.near_duplicate_of} - ids.keys())
    targets = {**ids, **near_index.ids(session, outside)}
    rows = [
        IndexRow(
            document_id=ids[d.key],
            signature=d.signature,
            buckets=buckets,
            canonical_id=targets[d.near_duplicate_of] if d.near_duplicate_of else None,
            similarity=d.similarity,
        )
        for d, buckets in zip(indexed, signatures.bands_of([d.signature for d in indexed]))
    ]
    near_index.replace(session, [ids[d.key] for d in documents], rows)


def heads_a_cluster(doc: Document) -> bool:
    """Whether the document can stay the canonical its members point at."""
    return doc.status == Status.ACTIVE and doc.signature is not None and not doc.duplicate_of and not doc.near_duplicate_of


def heads(changed: Mapping[int, Document], first_seen: Mapping[str, datetime]) -> dict[int, Entry]:
    """The changed documents (by store id) that still head their cluster, as index entries."""
    return {
        doc_id: Entry(d.key, near_index.rank(first_seen[d.key], doc_id), d.signature)
        for doc_id, d in changed.items()
        if heads_a_cluster(d) and d.signature is not None
    }


def resettle(
    session: Session,
    document_ids: Sequence[int],
    still_heading: Mapping[int, Entry],
    run_id: int,
    flow_run_id: str | None,
    now: datetime,
) -> int:
    """Re-settle the clusters headed by documents that changed, were deleted or rejected.

    Only a stored canonical whose record changed can owe its members new links: members
    linked in this batch were linked against what it is now, and one re-read unchanged
    keeps the cluster it heads (rescoring it would drop members that joined through
    another member, and do so differently for every batch size). A canonical still
    heading a cluster (in `still_heading`, with its new signature) keeps the members
    still similar to it, re-scored; for one that left, the earliest remaining member
    takes over. Returns how many members got a new version because their link changed.
    """
    links: dict[str, tuple[str | None, float | None]] = {}
    ids = {entry.key: doc_id for doc_id, entry in still_heading.items()}
    clusters = near_index.members(session, near_index.canonicals_among(session, document_ids))
    for canonical_id, members in clusters.items():
        links.update(rehome(members, still_heading.get(canonical_id), signatures.DEFAULT.threshold))
        ids.update((m.key, m.id) for m in members if m.id is not None)
    near_index.set_links(session, {ids[key]: (ids[head] if head else None, score) for key, (head, score) in links.items()})
    return versions.relink(session, links, run_id, flow_run_id, now)
