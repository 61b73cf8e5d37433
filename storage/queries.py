"""Everything the pipeline and the CLI ask of the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.dialect import insert_ignoring_conflicts, locking
from storage.models import DocumentRow, DocumentVersion, IngestionRun, RejectedFile
from tasks.document import Document

# SQLite caps bound parameters per statement; stay well below it for IN (...) lists.
CHUNK = 500


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    file_sha256: str | None
    status: str


def start_run(session: Session, flow_run_id: str | None, source: str, now: datetime) -> int:
    """Register a run; a retried flow run reuses its row instead of adding another."""
    if flow_run_id is not None:
        existing = session.scalar(select(IngestionRun).where(IngestionRun.flow_run_id == flow_run_id))
        if existing is not None:
            existing.status = "running"
            return existing.id
    run = IngestionRun(flow_run_id=flow_run_id, source=source, started_at=now, status="running", counts={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, counts: dict[str, Any], now: datetime) -> None:
    session.execute(
        update(IngestionRun)
        .where(IngestionRun.id == run_id)
        .values(status=status, counts=counts, finished_at=now)
    )


def fingerprints(session: Session, keys: Sequence[str]) -> dict[str, Fingerprint]:
    """Stored size/mtime/sha256 for the given keys (missing keys are new files)."""
    found: dict[str, Fingerprint] = {}
    for chunk in _chunks(keys):
        rows = session.execute(
            select(
                DocumentRow.key, DocumentRow.size, DocumentRow.mtime_ns, DocumentRow.file_sha256, DocumentRow.status
            ).where(DocumentRow.key.in_(chunk))
        )
        for key, size, mtime_ns, sha, status in rows:
            found[key] = Fingerprint(size, mtime_ns, sha, status)
    return found


def live_keys(session: Session) -> Iterator[str]:
    """Keys whose current version is not `deleted`, streamed."""
    statement = select(DocumentRow.key).where(DocumentRow.status != "deleted").execution_options(yield_per=2000)
    yield from session.scalars(statement)


def first_keys_by_hash(session: Session, hashes: Iterable[str]) -> dict[str, str]:
    """For each content hash, the key of the earliest-seen active document that has it."""
    wanted = sorted(set(hashes))
    first: dict[str, str] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(DocumentRow.content_hash, DocumentRow.key)
            .where(DocumentRow.content_hash.in_(chunk), DocumentRow.status == "active")
            .order_by(DocumentRow.first_seen_at, DocumentRow.id)
        )
        for content_hash, key in rows:
            first.setdefault(content_hash, key)
    return first


def _documents_for_update(session: Session, keys: Sequence[str], now: datetime) -> dict[str, DocumentRow]:
    rows = [
        {"key": key, "first_seen_at": now, "current_version": 0, "status": "new", "size": 0, "mtime_ns": 0,
         "updated_at": now}
        for key in keys
    ]
    insert_ignoring_conflicts(session, DocumentRow.__table__, rows, ["key"])
    found: dict[str, DocumentRow] = {}
    for chunk in _chunks(sorted(keys)):
        statement = locking(session, select(DocumentRow).where(DocumentRow.key.in_(chunk)).order_by(DocumentRow.key))
        found.update((row.key, row) for row in session.scalars(statement))
    return found


def _published(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def write_batch(
    session: Session, documents: Sequence[Document], run_id: int, flow_run_id: str | None, now: datetime
) -> Counter[str]:
    """Store a batch: a new version for each changed document, fingerprints for all.

    Rows are locked (PostgreSQL) and versions carry a unique (document, version) pair,
    so a retried or concurrent write can never add the same version twice.
    """
    outcomes: Counter[str] = Counter()
    versions: list[DocumentVersion] = []
    rows = _documents_for_update(session, [d.key for d in documents], now)
    for doc in documents:
        row = rows[doc.key]
        row.size, row.mtime_ns, row.updated_at = doc.size, doc.mtime_ns, now
        row.file_sha256 = doc.file_sha256 or row.file_sha256
        record_hash = doc.record_hash()
        if doc.unchanged or (row.record_hash == record_hash and row.status == doc.status):
            outcomes["unchanged"] += 1
            continue
        outcomes[_outcome(row, doc)] += 1
        if doc.duplicate_of:
            outcomes["duplicate"] += 1
        row.current_version += 1
        row.status, row.content_hash, row.record_hash = doc.status, doc.content_hash, record_hash
        versions.append(_version(row, doc, run_id, flow_run_id, now))
        if doc.status == "rejected":
            insert_ignoring_conflicts(
                session,
                RejectedFile.__table__,
                [{"key": doc.key, "reason": doc.error or "rejected", "rejected_at": now, "run_id": run_id}],
                ["run_id", "key"],
            )
    _insert_versions(session, versions)
    return outcomes


def _insert_versions(session: Session, versions: list[DocumentVersion]) -> None:
    """One multi-row INSERT instead of one per version: their ids are never read back."""
    if versions:
        session.bulk_save_objects(versions)


def _outcome(row: DocumentRow, doc: Document) -> str:
    if doc.status == "rejected":
        return "rejected"
    return "new" if row.current_version == 0 or row.status == "deleted" else "updated"


def _version(row: DocumentRow, doc: Document, run_id: int, flow_run_id: str | None, now: datetime) -> DocumentVersion:
    return DocumentVersion(
        document_id=row.id,
        version=row.current_version,
        status=doc.status,
        title=doc.title,
        published=_published(doc.published),
        language=doc.language,
        language_score=doc.language_score,
        languages=doc.languages,
        text=doc.text,
        content_hash=doc.content_hash,
        duplicate_of=doc.duplicate_of,
        near_duplicate_of=doc.near_duplicate_of,
        similarity=doc.similarity,
        error=doc.error,
        meta=doc.metadata(),
        file_sha256=doc.file_sha256,
        size=doc.size,
        mtime_ns=doc.mtime_ns,
        ingested_at=now,
        flow_run_id=flow_run_id,
        run_id=run_id,
    )


def mark_deleted(
    session: Session, keys: Sequence[str], run_id: int, flow_run_id: str | None, now: datetime
) -> int:
    """Give each vanished file a `deleted` version; its earlier versions stay."""
    deleted = 0
    versions: list[DocumentVersion] = []
    for chunk in _chunks(sorted(keys)):
        statement = locking(
            session,
            select(DocumentRow).where(DocumentRow.key.in_(chunk), DocumentRow.status != "deleted").order_by(DocumentRow.key),
        )
        for row in session.scalars(statement):
            gone = Document(key=row.key, path="", status="deleted")
            row.current_version += 1
            row.status, row.content_hash, row.record_hash, row.updated_at = "deleted", None, gone.record_hash(), now
            versions.append(_version(row, gone, run_id, flow_run_id, now))
            deleted += 1
    _insert_versions(session, versions)
    return deleted


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _export(version: DocumentVersion, key: str) -> dict[str, Any]:
    return {
        "key": key,
        "version": version.version,
        "status": version.status,
        "title": version.title,
        "published": version.published.isoformat() if version.published else None,
        "language": version.language,
        "language_score": version.language_score,
        "languages": version.languages,
        "text": version.text,
        "content_hash": version.content_hash,
        "duplicate_of": version.duplicate_of,
        "near_duplicate_of": version.near_duplicate_of,
        "similarity": version.similarity,
        "error": version.error,
        **version.meta,
        "file_sha256": version.file_sha256,
        "ingested_at": _utc(version.ingested_at).isoformat(),
        "flow_run_id": version.flow_run_id,
    }


def export_records(session: Session, all_versions: bool = False) -> Iterator[dict[str, Any]]:
    """Current version of every document (or every version), in key order, streamed."""
    statement = select(DocumentVersion, DocumentRow.key).join(DocumentRow, DocumentVersion.document_id == DocumentRow.id)
    if not all_versions:
        statement = statement.where(DocumentVersion.version == DocumentRow.current_version)
    statement = statement.order_by(DocumentRow.key, DocumentVersion.version).execution_options(yield_per=500)
    for version, key in session.execute(statement):
        yield _export(version, key)


def history(session: Session, key: str) -> list[dict[str, Any]]:
    statement = (
        select(DocumentVersion)
        .join(DocumentRow, DocumentVersion.document_id == DocumentRow.id)
        .where(DocumentRow.key == key)
        .order_by(DocumentVersion.version)
    )
    return [_export(v, key) for v in session.scalars(statement)]


def version_of(session: Session, key: str, version: int | None = None) -> dict[str, Any] | None:
    """One stored version of `key` (its current one by default)."""
    statement = select(DocumentVersion).join(DocumentRow, DocumentVersion.document_id == DocumentRow.id).where(
        DocumentRow.key == key
    )
    if version is None:
        statement = statement.where(DocumentVersion.version == DocumentRow.current_version)
    else:
        statement = statement.where(DocumentVersion.version == version)
    found = session.scalar(statement)
    return _export(found, key) if found else None


def rejected_reasons(session: Session, run_id: int) -> list[tuple[str, str]]:
    statement = select(RejectedFile.key, RejectedFile.reason).where(RejectedFile.run_id == run_id).order_by(RejectedFile.key)
    return [(key, reason) for key, reason in session.execute(statement)]
