"""Engines and sessions, one engine per URL per process."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers (export) run beside a writing ingest; the busy timeout turns
    # short lock contention into a wait instead of "database is locked". A 64 MiB page
    # cache keeps the upper levels of the near-duplicate index in memory as it grows.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


@functools.cache
def get_engine(url: str) -> Engine:
    """Engine for `url`, created once per process (engines own the connection pool)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(get_engine(url), expire_on_commit=False)
    with factory.begin() as session:
        yield session


def display_url(url: str) -> str:
    """The URL with any password masked, for logs and summaries."""
    return make_url(url).render_as_string(hide_password=True)
