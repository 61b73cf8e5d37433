"""What the pipeline and the command line read: fingerprints, first copies, exports, history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.chunks import chunks
from storage.models import DocumentRow, DocumentVersion
from storage.record import export_record
from storage.status import Status


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    file_sha256: str | None
    status: Status


def fingerprints(session: Session, keys: Sequence[str]) -> dict[str, Fingerprint]:
    """Stored size/mtime/sha256 for the given keys (missing keys are new files)."""
    found: dict[str, Fingerprint] = {}
    for chunk in chunks(keys):
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
    statement = select(DocumentRow.key).where(DocumentRow.status != Status.DELETED).execution_options(yield_per=2000)
    yield from session.scalars(statement)


def first_keys_by_hash(session: Session, hashes: Iterable[str]) -> dict[str, str]:
    """For each content hash, the key of the earliest-seen active document that has it."""
    first: dict[str, str] = {}
    for chunk in chunks(sorted(set(hashes))):
        rows = session.execute(
            select(DocumentRow.content_hash, DocumentRow.key)
            .where(DocumentRow.content_hash.in_(chunk), DocumentRow.status == Status.ACTIVE)
            .order_by(DocumentRow.first_seen_at, DocumentRow.id)
        )
        for content_hash, key in rows:
            first.setdefault(content_hash, key)
    return first


def export_records(session: Session, all_versions: bool = False) -> Iterator[dict[str, Any]]:
    """Current version of every document (or every version), in key order, streamed."""
    statement = select(DocumentVersion, DocumentRow.key).join(DocumentVersion.document)
    if not all_versions:
        statement = statement.where(DocumentVersion.version == DocumentRow.current_version)
    statement = statement.order_by(DocumentRow.key, DocumentVersion.version).execution_options(yield_per=500)
    for version, key in session.execute(statement):
        yield export_record(version, key)


def history(session: Session, key: str) -> list[dict[str, Any]]:
    row = session.scalar(select(DocumentRow).where(DocumentRow.key == key))
    return [export_record(v, key) for v in row.versions] if row is not None else []


def version_of(session: Session, key: str, version: int | None = None) -> dict[str, Any] | None:
    """One stored version of `key` (its current one by default)."""
    statement = select(DocumentVersion).join(DocumentVersion.document).where(DocumentRow.key == key)
    wanted = DocumentRow.current_version if version is None else version
    found = session.scalar(statement.where(DocumentVersion.version == wanted))
    return export_record(found, key) if found else None
