"""Container fingerprints, and the stored members of one container in a single range query.

A member's key is its container's key, `#`, and its name, so a container's members are
the keys from `C#` (inclusive) to `C$` (exclusive, `$` being the character after `#`):
one indexed range scan per container read, never one query per member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.chunks import chunks
from storage.models import ContainerRow, DocumentRow
from storage.reads import Fingerprint

MEMBER_SEPARATOR = "#"


@dataclass(frozen=True)
class ContainerFingerprint:
    size: int
    mtime_ns: int


def fingerprints(session: Session) -> dict[str, ContainerFingerprint]:
    """Every recorded container's fingerprint (a store holds few containers, however many members)."""
    rows = session.execute(select(ContainerRow.key, ContainerRow.size, ContainerRow.mtime_ns))
    return {key: ContainerFingerprint(size, mtime_ns) for key, size, mtime_ns in rows}


def members(session: Session, key: str) -> dict[str, Fingerprint]:
    """The stored documents under `key#`, by key, with the container's own key if it is stored.

    The container's key has a document when it was rejected as a whole (or was read as a
    file before it was known as a container); a later good reading retires it.
    """
    prefix = key + MEMBER_SEPARATOR
    column = DocumentRow.key
    if session.get_bind().dialect.name == "postgresql":
        column = column.collate("C")  # type: ignore[assignment]
    upper = key + chr(ord(MEMBER_SEPARATOR) + 1)
    statement = select(
        DocumentRow.key, DocumentRow.size, DocumentRow.mtime_ns, DocumentRow.file_sha256, DocumentRow.status
    ).where(((column >= prefix) & (column < upper)) | (DocumentRow.key == key))
    return {
        found: Fingerprint(size, mtime_ns, sha, status)
        for found, size, mtime_ns, sha, status in session.execute(statement.execution_options(yield_per=5000))
    }


def record(session: Session, key: str, kind: str, size: int, mtime_ns: int, count: int, damage: str | None,
           now: datetime) -> None:
    """Remember a complete reading of the container, replacing the one before."""
    row = session.get(ContainerRow, key)
    if row is None:
        session.add(ContainerRow(key=key, kind=kind, size=size, mtime_ns=mtime_ns, members=count, damage=damage,
                                 read_at=now))
        return
    row.kind, row.size, row.mtime_ns, row.members, row.damage, row.read_at = kind, size, mtime_ns, count, damage, now


def forget(session: Session, keys: Sequence[str]) -> None:
    """Drop the fingerprints of containers that vanished or are no containers any more."""
    for chunk in chunks(sorted(keys)):
        session.execute(delete(ContainerRow).where(ContainerRow.key.in_(chunk)))
