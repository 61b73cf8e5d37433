"""Retention and erasure: pruning old versions, purging documents entirely.

Both run under the near-duplicate index lock, like every other writer, so they take
turns with ingests and with the feed's cursor allocation (`storage.feed`).

Pruning never drops a document's current version, and records the newest cursor it
dropped (`pruned_through`): a consumer whose cursor is older is told that it missed
intermediate versions, though replaying the feed still ends at the current state.
A purge erases every version, the search-index text, the near-duplicate signature and
band rows and the rejection reasons of a key, and leaves only a `purges` row (key,
time, command) whose cursor reports the key's deletion in the feed. Who takes over a
cluster the purged document headed is the near-duplicate clustering's decision
(`tasks.near_duplicates`), which storage must not import: the caller passes it in as
`rehome`, and it runs inside the purge's transaction, after the document left the
index and before its rows go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from storage import feed, migrate, near_index, search
from storage.chunks import chunks
from storage.models import ChangeFeedState, DocumentRow, DocumentVersion, NearDuplicateSignature, Purge, RejectedFile
from storage.session import session_scope

# (session, purged document ids, now) -> how many other documents got a new version.
Rehome = Callable[[Session, Sequence[int], datetime], int]


def prune(url: str, keep_versions: int | None = None, older_than_days: float | None = None) -> int:
    """Drop versions beyond the newest `keep_versions` of each document, or ingested more
    than `older_than_days` ago; a current version always stays. Returns how many went."""
    if (keep_versions is None) == (older_than_days is None):
        raise ValueError("prune needs exactly one of keep_versions and older_than_days")
    if keep_versions is not None and keep_versions < 1:
        raise ValueError("keep_versions must be at least 1: a document's current version always stays")
    migrate.require_current(url)
    with session_scope(url) as session:
        near_index.take(session)
        condition: ColumnElement[bool]
        if keep_versions is not None:
            condition = DocumentVersion.version <= DocumentRow.current_version - keep_versions
        else:
            moment = datetime.now(UTC) - timedelta(days=older_than_days or 0)
            if session.get_bind().dialect.name == "sqlite":
                moment = moment.replace(tzinfo=None)
            condition = DocumentVersion.ingested_at < moment
        doomed = (
            select(DocumentVersion.id)
            .join(DocumentRow, DocumentRow.id == DocumentVersion.document_id)
            .where(DocumentVersion.version < DocumentRow.current_version, condition)
            .correlate(None)
        )
        newest = session.scalar(select(func.max(DocumentVersion.seq)).where(DocumentVersion.id.in_(doomed)))
        if newest is None:
            return 0
        dropped = session.execute(delete(DocumentVersion).where(DocumentVersion.id.in_(doomed))).rowcount
        session.execute(
            update(ChangeFeedState)
            .where(ChangeFeedState.id == 1, ChangeFeedState.pruned_through < newest)
            .values(pruned_through=newest)
        )
        return dropped


def purge(url: str, keys: Sequence[str], command: str, rehome: Rehome) -> list[str]:
    """Erase every trace of `keys` but the purge record; returns the keys that were stored."""
    migrate.require_current(url)
    now = datetime.now(UTC)
    with session_scope(url) as session:
        near_index.take(session)
        ids = near_index.ids(session, sorted(set(keys)))
        if not ids:
            return []
        document_ids = sorted(ids.values())
        near_index.replace(session, document_ids, [])
        rehome(session, document_ids, now)
        search.remove(session, document_ids)
        for chunk in chunks(document_ids):
            # Members the clustering left pointing at a purged canonical (none should remain).
            session.execute(
                update(NearDuplicateSignature).where(NearDuplicateSignature.canonical_id.in_(chunk)).values(canonical_id=None)
            )
            session.execute(delete(DocumentVersion).where(DocumentVersion.document_id.in_(chunk)))
            session.execute(delete(DocumentRow).where(DocumentRow.id.in_(chunk)))
        purged = sorted(ids)
        for chunk in chunks(purged):
            session.execute(delete(RejectedFile).where(RejectedFile.key.in_(chunk)))
        first = feed.allocate(session, len(purged))
        session.add_all(Purge(key=key, purged_at=now, command=command, seq=first + n) for n, key in enumerate(purged))
        return purged


def purges(url: str) -> list[dict[str, object]]:
    """The purge log: key, time, command and feed cursor of every purge, oldest first."""
    migrate.require_current(url)
    with session_scope(url) as session:
        rows = session.scalars(select(Purge).order_by(Purge.seq))
        return [{"key": p.key, "purged_at": p.purged_at, "command": p.command, "cursor": p.seq} for p in rows]
