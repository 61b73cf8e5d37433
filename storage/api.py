"""`Store`: the versioned store as a source of truth for what runs downstream.

    from storage import Store
    store = Store("sqlite:///.seedflow/seedflow.db")
    feed = store.changes(since=cursor)
    for change in feed: ...
    cursor = feed.cursor

Reads never create or migrate a store: `Store(url)` refuses a missing one
(`NoStore`) or one whose schema is behind (`StoreOutdated`), and every read runs
in its own transaction, read-only on PostgreSQL. Generators (`export`, `as_of`, the
feed's changes) hold their transaction while they are iterated.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from storage import exports, feed, migrate, reads, search, timeline
from storage.errors import NoStore, StoreNotReady, StoreOutdated  # noqa: F401 - part of the API
from storage.filters import Filters
from storage.search import Hit
from storage.session import get_engine
from storage.status import Status



class Store:
    def __init__(self, url: str) -> None:
        migrate.require_current(url)
        self.url = url

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with sessionmaker(get_engine(self.url, create=False))() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET TRANSACTION READ ONLY"))
            try:
                yield session
            finally:
                session.rollback()

    def changes(
        self, since: int = 0, until: int | None = None, filters: Filters | None = None, keys_only: bool = False
    ) -> feed.Feed:
        """Every version written after cursor `since` (0: the whole history), in commit order.

        Iterate the returned feed for the changes (dicts with `change`, `cursor` and the
        export record, or only `key` and `version` with `keys_only`; a purged document
        comes as `deleted` with `purged: true`), then keep `feed.cursor` for next time.
        """
        with self._reading() as session:
            upto, pruned_through = feed.window(session, since, until)
        return feed.Feed(since, upto, pruned_through, self._changes(since, upto, filters or Filters(), keys_only))

    def _changes(self, since: int, upto: int, filters: Filters, keys_only: bool) -> Iterator[dict[str, Any]]:
        # Its own transaction: every cursor up to `upto` had committed before `window` read the head.
        with self._reading() as session:
            yield from feed.changes_between(session, since, upto, filters, keys_only)

    def as_of(self, moment: datetime | str, filters: Filters | None = None) -> Iterator[dict[str, Any]]:
        """Each document's version current at `moment` (a timestamp, or a flow run id), in key order."""
        with self._reading() as session:
            yield from timeline.as_of(session, moment, filters or Filters())

    def export(
        self, filters: Filters | None = None, all_versions: bool = False, as_of: datetime | str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Export records in key order: current versions, every version, or those current `as_of`."""
        if as_of is not None:
            yield from self.as_of(as_of, filters)
            return
        with self._reading() as session:
            yield from exports.records(session, filters or Filters(), all_versions)

    def export_to(
        self, out: IO[Any], fmt: str = "jsonl", filters: Filters | None = None, all_versions: bool = False,
        as_of: datetime | str | None = None,
    ) -> int:
        """Write what `export` yields to `out` as jsonl or csv (a text file) or parquet (a binary one)."""
        chosen = filters or Filters()
        with self._reading() as session:
            if as_of is not None:
                rows = timeline.as_of_rows(session, as_of, chosen)
            else:
                rows = exports.rows(session, chosen, all_versions)
            return exports.write_rows(rows, fmt, out)

    def search(
        self, query: str, language: str | None = None, status: Status | str | None = None, limit: int = 10,
        filters: Filters | None = None,
    ) -> list[Hit]:
        """Current versions matching every word of `query`, best first, with a marked snippet."""
        chosen = filters or Filters()
        chosen = Filters(language or chosen.language, Status(status) if status else chosen.status, chosen.format,
                         chosen.key)
        with self._reading() as session:
            return search.search(session, query, chosen, limit)

    def history(self, key: str) -> list[dict[str, Any]]:
        """Every stored version of `key`, oldest first (empty for an unknown key)."""
        with self._reading() as session:
            return reads.history(session, key)

    def document(self, key: str, version: int | None = None) -> dict[str, Any] | None:
        """One version of `key` (the current one by default), or None."""
        with self._reading() as session:
            return reads.version_of(session, key, version)

    def diff(self, key: str, old: int | None = None, new: int | None = None) -> str:
        """Metadata changes and a unified text diff between two versions (default: previous and current)."""
        with self._reading() as session:
            current = reads.version_of(session, key, None)
            if current is None:
                raise LookupError(f"no {key!r} in the store")
            new = current["version"] if new is None else new
            old = new - 1 if old is None else old
            if old < 1:
                raise LookupError(f"{key!r} has no version before v{new} to compare it with")
            pair = [reads.version_of(session, key, v) for v in (old, new)]
        missing = [v for v, record in zip((old, new), pair) if record is None]
        if missing:
            raise LookupError(f"no version {missing[0]} of {key!r} in the store")
        return timeline.diff(pair[0], pair[1])  # type: ignore[arg-type]
