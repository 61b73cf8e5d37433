"""Versioned writes: a new version for each changed document, fingerprints for all.

Rows are locked (PostgreSQL) and versions carry a unique (document, version) pair, so
a retried or concurrent write can never add the same version twice. Which links a
version carries is decided before it gets here (`tasks.dedupe`, `tasks.near_duplicates`).
Callers hold the near-duplicate index lock (`near_index.take`); every version gets its
change-feed cursor (`storage.feed`) and the search index its new text in the same
transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage import feed, search
from storage.chunks import chunks
from storage.dialect import insert_ignoring_conflicts, locking
from storage.models import DocumentRow, DocumentVersion, RejectedFile
from storage.record import Document, document_from_version, version_values
from storage.status import Status

Link = tuple[str | None, float | None]


@dataclass
class Written:
    """What a batch write did, for the near-duplicate index to follow up on."""

    outcomes: Counter[str] = field(default_factory=Counter)
    # Store id and first-seen time of every key written (deferred documents excluded).
    ids: dict[str, int] = field(default_factory=dict)
    first_seen: dict[str, datetime] = field(default_factory=dict)
    # Documents stored before that got a new version here, by store id.
    changed: dict[int, Document] = field(default_factory=dict)


def _rows_for_update(session: Session, documents: Sequence[Document], now: datetime) -> dict[str, DocumentRow]:
    """The documents' rows, created where missing (concurrent writers may race to), locked."""
    rows = [
        {"key": d.key, "first_seen_at": now, "current_version": 0, "status": d.status, "size": 0, "mtime_ns": 0,
         "updated_at": now}
        for d in documents
    ]
    insert_ignoring_conflicts(session, DocumentRow.__table__, rows, ["key"])
    found: dict[str, DocumentRow] = {}
    for chunk in chunks(sorted(d.key for d in documents)):
        statement = locking(session, select(DocumentRow).where(DocumentRow.key.in_(chunk)).order_by(DocumentRow.key))
        found.update((row.key, row) for row in session.scalars(statement))
    return found


def write_batch(
    session: Session, documents: Sequence[Document], run_id: int, flow_run_id: str | None, now: datetime
) -> Written:
    """Store a batch: a new version for each document whose record changed.

    Deferred documents (still being written when read) are left out entirely, so their
    old fingerprint makes the next run read them again.
    """
    written = Written()
    deferred = sum(1 for d in documents if d.deferred)
    if deferred:
        written.outcomes["deferred"] = deferred
    documents = [d for d in documents if not d.deferred]
    rows = _rows_for_update(session, documents, now)
    versions: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for doc in documents:
        row = rows[doc.key]
        written.ids[doc.key], written.first_seen[doc.key] = row.id, row.first_seen_at
        stored_before = row.current_version > 0
        row.size, row.mtime_ns, row.updated_at = doc.size, doc.mtime_ns, now
        row.file_sha256 = doc.file_sha256 or row.file_sha256
        record_hash = doc.record_hash()
        if doc.unchanged or (row.record_hash == record_hash and row.status == doc.status):
            written.outcomes["unchanged"] += 1
            continue
        written.outcomes[_outcome(row, doc)] += 1
        change = feed.change_of(row.status if row.current_version else None, doc.status)
        if doc.duplicate_of:
            written.outcomes["duplicate"] += 1
        if doc.near_duplicate_of:
            written.outcomes["near_duplicate"] += 1
        row.current_version += 1
        row.status, row.content_hash, row.record_hash = doc.status, doc.content_hash, record_hash
        versions.append({**version_values(doc, row.id, row.current_version, run_id, flow_run_id, now), "change": change})
        if stored_before:
            written.changed[row.id] = doc
        if doc.status == Status.REJECTED:
            rejected.append({"key": doc.key, "reason": doc.error or "rejected", "rejected_at": now, "run_id": run_id})
    _add_versions(session, versions)
    insert_ignoring_conflicts(session, RejectedFile.__table__, rejected, ["run_id", "key"])
    return written


def mark_deleted(
    session: Session, keys: Sequence[str], run_id: int, flow_run_id: str | None, now: datetime
) -> list[int]:
    """Give each vanished document a `deleted` version (its earlier ones stay); returns their ids."""
    deleted_ids: list[int] = []
    versions: list[dict[str, Any]] = []
    for chunk in chunks(sorted(keys)):
        statement = locking(
            session,
            select(DocumentRow)
            .where(DocumentRow.key.in_(chunk), DocumentRow.status != Status.DELETED)
            .order_by(DocumentRow.key),
        )
        for row in session.scalars(statement):
            gone = Document(key=row.key, path="", status=Status.DELETED)
            row.current_version += 1
            row.status, row.content_hash, row.record_hash, row.updated_at = Status.DELETED, None, gone.record_hash(), now
            values = version_values(gone, row.id, row.current_version, run_id, flow_run_id, now)
            versions.append({**values, "change": feed.DELETED})
            deleted_ids.append(row.id)
    _add_versions(session, versions)
    return deleted_ids


def relink(session: Session, links: Mapping[str, Link], run_id: int, flow_run_id: str | None, now: datetime) -> int:
    """A new version for each document whose near-duplicate link changed, the rest of it copied."""
    versions: list[dict[str, Any]] = []
    for chunk in chunks(sorted(links)):
        statement = locking(
            session,
            select(DocumentRow, DocumentVersion)
            .join(DocumentRow.versions)
            .where(DocumentRow.key.in_(chunk), DocumentVersion.version == DocumentRow.current_version)
            .order_by(DocumentRow.key),
        )
        for row, version in session.execute(statement).all():
            doc = document_from_version(row.key, version)
            doc.near_duplicate_of, doc.similarity = links[row.key]
            record_hash = doc.record_hash()
            if record_hash == row.record_hash:
                continue
            row.current_version += 1
            row.record_hash, row.updated_at = record_hash, now
            values = version_values(doc, row.id, row.current_version, run_id, flow_run_id, now)
            versions.append({**values, "change": feed.change_of(row.status, doc.status)})
    _add_versions(session, versions)
    return len(versions)


def _outcome(row: DocumentRow, doc: Document) -> str:
    if doc.status == Status.REJECTED:
        return "rejected"
    return "new" if row.current_version == 0 or row.status == Status.DELETED else "updated"


def _add_versions(session: Session, versions: list[dict[str, Any]]) -> None:
    """Append versions as one table insert, after the document rows they bump.

    Versions are never read back in the transaction that writes them, so they skip the
    ORM's objects and unit of work (~0.4 ms a version). Each takes its feed cursor here
    and replaces its document's text in the search index.
    """
    session.flush()
    if versions:
        feed.number(session, versions)
        session.execute(insert(DocumentVersion.__table__), versions)
        search.index(session, versions)
