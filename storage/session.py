"""Engines and sessions, one engine per URL per process (and one more for reading SQLite).

Writers get an engine that creates a SQLite store's folder and file on first connect.
Readers get one that opens only an existing file (SQLite's `mode=rw`), so reading a
mistyped path never leaves an empty database behind.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

# PostgreSQL's SQLSTATE for "database does not exist"; psycopg attaches none to a failed
# connection, whose server message (in English unless lc_messages says otherwise) tells.
_NO_SUCH_DATABASE = "3D000"


def _sqlite_pragmas(dbapi_connection, _record, writer: bool = True) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers (export) run beside a writing ingest; it is stored in the file, so
    # only writers set it. The busy timeout turns short lock contention into a wait instead
    # of "database is locked". A 64 MiB page cache keeps the upper levels of the
    # near-duplicate index in memory as it grows.
    cursor = dbapi_connection.cursor()
    if writer:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


@functools.cache
def get_engine(url: str, create: bool = True) -> Engine:
    """Engine for `url`, created once per process (engines own the connection pool).

    With `create=False` a SQLite file is opened only if it exists (connecting raises
    OperationalError otherwise); other databases are never created by connecting anyway.
    """
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True) if create else get_engine(url)
    path = sqlite_file(url)
    if path is None or create:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    existing = make_url(url).set(database=f"file:{quote(str(path.absolute()))}", query={"mode": "rw", "uri": "true"})
    engine = create_engine(existing)
    event.listen(engine, "connect", functools.partial(_sqlite_pragmas, writer=False))
    return engine


def is_missing_database(url: str, error: OperationalError) -> bool:
    """Did connecting fail because there is no database at `url` at all?"""
    path = sqlite_file(url)
    if path is not None:
        return not path.is_file()
    if getattr(error.orig, "sqlstate", None) == _NO_SUCH_DATABASE:
        return True
    return f'database "{make_url(url).database}" does not exist' in str(error.orig)


@contextmanager
def session_scope(url: str, create: bool = True) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(get_engine(url, create), expire_on_commit=False)
    with factory.begin() as session:
        yield session


def display_url(url: str) -> str:
    """The URL with any password masked, for logs and summaries."""
    return make_url(url).render_as_string(hide_password=True)
