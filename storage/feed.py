"""The change feed: every version's place in commit order, and reading the feed back.

Why the cursor is commit order, even with concurrent writers on PostgreSQL: cursors are
handed out by `UPDATE change_feed_state SET head = head + n`, inside the transaction
that writes the versions, and the row lock that UPDATE takes (PostgreSQL's row lock;
on SQLite the database's single write lock) is held until that transaction commits or
rolls back. A second writer's UPDATE waits for the first to end and then reads the head
the first committed, so a transaction that gets larger cursors always commits after one
that got smaller ones; one that rolls back hands its cursors back unused. A plain
autoincrement id does not have this property (ids are drawn at INSERT, commits happen
in any order). Every version write (`storage.versions`, `storage.retention`) also
takes the near-duplicate index lock first (`near_index.take`), so writers already run
one at a time and the counter adds no new waiting.

A reader therefore only ever sees a prefix of the cursors: it reads the head first and
then the versions up to it, every one of which committed before the head it read.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.filters import Filters
from storage.models import ChangeFeedState, DocumentRow, DocumentVersion, Purge
from storage.record import export_record
from storage.status import Status

CREATED, UPDATED, DELETED, REJECTED = "created", "updated", "deleted", "rejected"


def change_of(previous: Status | None, status: Status) -> str:
    """What a new version with `status` did to a document whose current status was `previous`.

    `created` when the document had no active version before it (new, or back after a
    deletion or rejection): a downstream index adds it either way.
    """
    if status == Status.DELETED:
        return DELETED
    if status == Status.REJECTED:
        return REJECTED
    return UPDATED if previous == Status.ACTIVE else CREATED


def allocate(session: Session, count: int) -> int:
    """Reserve `count` cursors for this transaction's versions; returns the first."""
    head = session.scalar(
        update(ChangeFeedState)
        .where(ChangeFeedState.id == 1)
        .values(head=ChangeFeedState.head + count)
        .returning(ChangeFeedState.head)
    )
    if head is None:
        raise RuntimeError("the store has no change feed state: run `seedflow db upgrade`")
    return head - count + 1


def number(session: Session, versions: Sequence[dict[str, Any]]) -> None:
    """Give each new version row its cursor, in the order they are written."""
    if versions:
        first = allocate(session, len(versions))
        for offset, values in enumerate(versions):
            values["seq"] = first + offset


def state(session: Session) -> tuple[int, int]:
    """(head, pruned_through) as one consistent pair."""
    row = session.execute(select(ChangeFeedState.head, ChangeFeedState.pruned_through).where(ChangeFeedState.id == 1)).one()
    return row.head, row.pruned_through


class CursorAhead(ValueError):
    """The cursor is past anything this store handed out: it belongs to another store (or a restored backup)."""


@dataclass
class Feed:
    """The changes after `since`, streamed; `cursor` is what to pass next time.

    `pruned` is set when versions after `since` were pruned (`seedflow prune`): the
    consumer still ends at the store's current state (current versions are never
    pruned, purges are reported), but intermediate versions it never saw are gone.
    """

    since: int
    cursor: int
    pruned_through: int
    rows: Iterator[dict[str, Any]] = field(repr=False)

    @property
    def pruned(self) -> bool:
        return self.since < self.pruned_through

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.rows


def window(session: Session, since: int, until: int | None) -> tuple[int, int]:
    """The cursor the feed after `since` ends at (`until` or the head), and `pruned_through`."""
    head, pruned_through = state(session)
    if since > head:
        raise CursorAhead(f"cursor {since} is ahead of this store's head {head}")
    upto = head if until is None else min(until, head)
    return max(upto, since), pruned_through


def changes_between(
    session: Session, since: int, upto: int, filters: Filters, keys_only: bool
) -> Iterator[dict[str, Any]]:
    """Versions and purges with cursors in (since, upto], in cursor order, streamed."""
    versions = _versions(session, since, upto, filters, keys_only)
    purges = [
        {"change": DELETED, "cursor": seq, "key": key, "version": None, "purged": True}
        for seq, key in session.execute(
            select(Purge.seq, Purge.key).where(Purge.seq > since, Purge.seq <= upto).order_by(Purge.seq)
        )
        if filters.admits_purge(key)
    ]
    yield from heapq.merge(versions, purges, key=lambda change: change["cursor"])


def _versions(session: Session, since: int, upto: int, filters: Filters, keys_only: bool) -> Iterator[dict[str, Any]]:
    if keys_only:
        columns = (DocumentVersion.seq, DocumentVersion.change, DocumentRow.key, DocumentVersion.version)
        statement = select(*columns).join(DocumentRow, DocumentRow.id == DocumentVersion.document_id)
    else:
        statement = select(DocumentVersion.__table__, DocumentRow.key).join(
            DocumentRow, DocumentRow.id == DocumentVersion.document_id
        )
    statement = filters.apply(session, statement.where(DocumentVersion.seq > since, DocumentVersion.seq <= upto))
    statement = statement.order_by(DocumentVersion.seq).execution_options(yield_per=1000)
    for row in session.connection().execute(statement):
        if keys_only:
            yield {"change": row.change, "cursor": row.seq, "key": row.key, "version": row.version}
        else:
            yield {"change": row.change, "cursor": row.seq, **export_record(row, row.key)}  # type: ignore[arg-type]

