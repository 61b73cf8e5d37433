"""The near-duplicate index: signatures, LSH band keys and cluster links of active documents.

Only SQL lives here: the index persists what it is told. Which document links where is
decided by `tasks.near_duplicates`, and new versions are written by `storage.versions`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, aliased

from storage.chunks import chunks
from storage.dialect import in_few, in_values, insert_many, serialize_writers
from storage.models import DocumentRow, LshBand, NearDuplicateIndexState, NearDuplicateSignature
from storage.status import Status

# Key of the PostgreSQL advisory lock that makes index writers take turns.
LOCK = 0x5EED_D0C5

# Earliest first: (first-seen time as a POSIX timestamp, store id); documents not stored
# yet rank after everything stored, in batch order.
Rank = tuple[float, int]


@dataclass(frozen=True)
class Entry:
    """An indexed document: its signature and the canonical it points at (None: it is one).

    `id` is the store's id, carried along for the store's own use; None before storing.
    """

    key: str
    rank: Rank
    signature: bytes
    canonical: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class IndexRow:
    """What the index holds for one signed, active document."""

    document_id: int
    signature: bytes
    buckets: Sequence[int]
    canonical_id: int | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class Cluster:
    canonical: str
    members: list[tuple[str, float | None]]


def rank(first_seen_at: datetime, document_id: int) -> Rank:
    """First-seen order; SQLite hands timestamps back without their zone (they are UTC)."""
    moment = first_seen_at if first_seen_at.tzinfo else first_seen_at.replace(tzinfo=UTC)
    return (moment.timestamp(), document_id)


def generation(session: Session) -> int | None:
    """How many writers the index has taken so far (None on a store without the count)."""
    return session.scalar(select(NearDuplicateIndexState.generation).where(NearDuplicateIndexState.id == 1))


def take(session: Session) -> int | None:
    """Make this transaction the index's only writer; returns the generation it found.

    Writers take turns (PostgreSQL's advisory lock; SQLite's write lock, which the
    UPDATE takes), and each one moves the generation on, so a reader that saw the
    returned value knows nothing was written to the index since.
    """
    serialize_writers(session, LOCK)
    moved = session.scalar(
        update(NearDuplicateIndexState)
        .where(NearDuplicateIndexState.id == 1)
        .values(generation=NearDuplicateIndexState.generation + 1)
        .returning(NearDuplicateIndexState.generation)
    )
    return None if moved is None else moved - 1


def ranks(session: Session, keys: Sequence[str]) -> dict[str, Rank]:
    """First-seen order of those of `keys` already stored."""
    found: dict[str, Rank] = {}
    for chunk in chunks(keys):
        statement = select(DocumentRow.key, DocumentRow.first_seen_at, DocumentRow.id).where(
            DocumentRow.key.in_(chunk), DocumentRow.current_version > 0
        )
        found.update((key, rank(seen, doc_id)) for key, seen, doc_id in session.execute(statement))
    return found


def ids(session: Session, keys: Sequence[str]) -> dict[str, int]:
    """Store ids of `keys`."""
    found: dict[str, int] = {}
    for chunk in chunks(keys):
        statement = select(DocumentRow.key, DocumentRow.id).where(DocumentRow.key.in_(chunk))
        found.update((key, doc_id) for key, doc_id in session.execute(statement))
    return found


def candidates(session: Session, buckets: Sequence[int]) -> dict[str, Entry]:
    """Active documents sharing any of `buckets`, with their canonicals: one indexed query.

    Each document comes once, however many buckets it shares; which ones it shares
    follows from its signature (`tasks.near_duplicates.clustering.BucketIndex`).
    """
    entries: dict[str, Entry] = {}
    if not buckets:
        return entries
    doc, sig = aliased(DocumentRow), aliased(NearDuplicateSignature)
    head, head_sig = aliased(DocumentRow), aliased(NearDuplicateSignature)
    sharing = select(LshBand.document_id).where(in_values(session, LshBand.bucket, sorted(set(buckets))))
    statement = (
        select(
            doc.id, doc.key, doc.first_seen_at, sig.signature,
            head.id, head.key, head.first_seen_at, head_sig.signature,
        )
        .join(sig, sig.document_id == doc.id)
        .outerjoin(head, (head.id == sig.canonical_id) & (head.status == Status.ACTIVE))
        .outerjoin(head_sig, head_sig.document_id == head.id)
        .where(in_few(session, doc.id, sharing), doc.status == Status.ACTIVE)
    )
    for doc_id, key, seen, signature, head_id, head_key, head_seen, head_signature in session.execute(statement):
        canonical = None
        if head_id is not None and head_signature is not None:
            canonical = head_key
            entries.setdefault(head_key, Entry(head_key, rank(head_seen, head_id), head_signature, None, head_id))
        entries[key] = Entry(key, rank(seen, doc_id), signature, canonical, doc_id)
    return entries


def replace(session: Session, document_ids: Sequence[int], rows: Sequence[IndexRow]) -> None:
    """Forget what the index held for `document_ids`, then add `rows` (their current state)."""
    for chunk in chunks(document_ids):
        session.execute(delete(LshBand).where(LshBand.document_id.in_(chunk)))
        session.execute(delete(NearDuplicateSignature).where(NearDuplicateSignature.document_id.in_(chunk)))
    add(session, rows)


def add(session: Session, rows: Sequence[IndexRow]) -> None:
    """Bulk insert of index rows (also how benchmarks fill a large store quickly)."""
    if not rows:
        return
    # Table inserts, not ORM ones: the ORM's bulk path costs a Python call chain per row,
    # and a batch of 250 documents writes ~10,000 band rows.
    session.execute(
        insert(NearDuplicateSignature.__table__),
        [
            {"document_id": r.document_id, "signature": r.signature, "canonical_id": r.canonical_id,
             "similarity": r.similarity}
            for r in rows
        ],
    )
    # In key order: the inserts then walk the index once instead of hopping around it.
    bands = sorted({(b, r.document_id) for r in rows for b in r.buckets})
    insert_many(session, LshBand.__table__, ("bucket", "document_id"), bands)


def canonicals_among(session: Session, document_ids: Sequence[int]) -> list[int]:
    """Those of `document_ids` that some document points at as its canonical."""
    found: set[int] = set()
    for chunk in chunks(document_ids):
        statement = select(NearDuplicateSignature.canonical_id).where(NearDuplicateSignature.canonical_id.in_(chunk))
        found.update(session.scalars(statement.distinct()))
    return sorted(found)


def members(session: Session, canonical_ids: Sequence[int]) -> dict[int, list[Entry]]:
    """The active members of each cluster, as entries."""
    clusters: defaultdict[int, list[Entry]] = defaultdict(list)
    for chunk in chunks(canonical_ids):
        statement = (
            select(NearDuplicateSignature.canonical_id, DocumentRow.id, DocumentRow.key, DocumentRow.first_seen_at,
                   NearDuplicateSignature.signature)
            .join(DocumentRow, DocumentRow.id == NearDuplicateSignature.document_id)
            .where(NearDuplicateSignature.canonical_id.in_(chunk), DocumentRow.status == Status.ACTIVE)
        )
        for canonical_id, doc_id, key, seen, signature in session.execute(statement):
            clusters[canonical_id].append(Entry(key, rank(seen, doc_id), signature, None, doc_id))
    return dict(clusters)


def set_links(session: Session, links: Mapping[int, tuple[int | None, float | None]]) -> None:
    """Point each document (by id) at its new canonical, with its similarity to it."""
    for document_id, (canonical_id, similarity) in links.items():
        session.execute(
            update(NearDuplicateSignature)
            .where(NearDuplicateSignature.document_id == document_id)
            .values(canonical_id=canonical_id, similarity=similarity)
        )


def clusters(session: Session) -> Iterator[Cluster]:
    """Every cluster with at least one member, canonicals and members in first-seen order."""
    member, head = aliased(DocumentRow), aliased(DocumentRow)
    statement = (
        select(head.key, member.key, NearDuplicateSignature.similarity)
        .join(member, member.id == NearDuplicateSignature.document_id)
        .join(head, head.id == NearDuplicateSignature.canonical_id)
        .where(member.status == Status.ACTIVE)
        .order_by(head.first_seen_at, head.id, member.first_seen_at, member.id)
        .execution_options(yield_per=2000)
    )
    current: Cluster | None = None
    for canonical, key, similarity in session.execute(statement):
        if current is None or current.canonical != canonical:
            if current is not None:
                yield current
            current = Cluster(canonical, [])
        current.members.append((key, similarity))
    if current is not None:
        yield current
