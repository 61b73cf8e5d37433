"""Opening an existing store for reading only: never created, never migrated, never written.

`session.get_engine` creates a missing SQLite file (and its folder) and the ingest
migrates on open; a browser pointed at a mistyped path must say so instead, and must not
be able to change what it shows. SQLite is opened in `mode=ro`, PostgreSQL with
read-only transactions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

# Tables every seedflow store has had since its first revision.
REQUIRED_TABLES = {"documents", "document_versions", "ingestion_runs", "rejected_files"}


class StoreUnavailable(Exception):
    """The store is missing, unreachable or not a seedflow store; the message says which."""


def _sqlite_readonly(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise StoreUnavailable("an in-memory SQLite database holds no store to browse")
        path = Path(database)
        if not path.is_file():
            raise StoreUnavailable(f"no store at {path}: run `seedflow ingest` first, or pass --db")
        uri = f"sqlite:///file:{quote(str(path.resolve()))}?mode=ro&uri=true"
        engine = create_engine(uri)
        event.listen(engine, "connect", _sqlite_readonly)
        return engine
    return create_engine(
        url, pool_pre_ping=True, connect_args={"options": "-c default_transaction_read_only=on"}
    )


@functools.cache
def readonly_engine(url: str) -> Engine:
    """A read-only engine on an existing seedflow store, checked once per process."""
    engine = _engine_for(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
    except SQLAlchemyError as error:
        engine.dispose()
        raise StoreUnavailable(f"cannot open the store: {str(error.orig or error).splitlines()[0]}") from error
    missing = REQUIRED_TABLES - tables
    if missing:
        engine.dispose()
        raise StoreUnavailable(f"not a seedflow store (no {', '.join(sorted(missing))} table): run `seedflow ingest` first")
    return engine


@contextmanager
def reading(url: str) -> Iterator[Session]:
    """One read-only transaction on the store at `url`."""
    factory = sessionmaker(readonly_engine(url), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
