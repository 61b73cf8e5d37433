"""Schema migrations: every store, SQLite included, is created and upgraded by Alembic.

Alembic is imported only when a store needs upgrading: importing it costs ~0.6 s, a
tenth of an unchanged re-scan, and a store already at head only needs one SELECT.
Only writers migrate: a read checks the store is there and at head (`require_current`)
and otherwise says what is wrong, leaving the database as it found it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import OperationalError

from storage.dialect import serialize_migrations
from storage.errors import NoStore, StoreOutdated, StoreUnknown
from storage.session import display_url, get_engine, is_missing_database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^(down_revision|revision) = '([^']*)'", re.MULTILINE)


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


@functools.cache
def known_revisions() -> frozenset[str]:
    """Every revision of the migration chain, read from the files without Alembic."""
    return frozenset(value for kind, value in _chain() if kind == "revision")


@functools.cache
def newest_revision() -> str | None:
    """The head of the (linear) migration chain, read from the files without Alembic."""
    parents = {value for kind, value in _chain() if kind == "down_revision"}
    heads = known_revisions() - parents
    return next(iter(heads)) if len(heads) == 1 else None


def _chain() -> list[tuple[str, str]]:
    return [
        found
        for script in (MIGRATIONS / "versions").glob("*.py")
        for found in _REVISION.findall(script.read_text(encoding="utf-8"))
    ]


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def _reading(url: str) -> Iterator[Connection]:
    """A connection that never creates the store; NoStore when there is no database at all."""
    try:
        connection = get_engine(url, create=False).connect()
    except OperationalError as error:
        if is_missing_database(url, error):
            raise NoStore(display_url(url)) from None
        raise
    with connection:
        yield connection


def current(url: str) -> str | None:
    """The revision the store at `url` is at (None for an empty or missing store, left so)."""
    try:
        with _reading(url) as connection:
            return _revision(connection)
    except NoStore:
        return None


def require_current(url: str) -> None:
    """Let a read go ahead only on a seedflow store at the newest schema revision.

    Raises NoStore (no database, or one without seedflow's schema), StoreOutdated (an
    older revision: `seedflow db upgrade` brings it up) or StoreUnknown (a revision these
    migrations do not have, such as a newer seedflow's). Nothing is created or migrated.
    """
    with _reading(url) as connection:
        revision = _revision(connection)
    shown = display_url(url)
    if revision is None:
        raise NoStore(shown)
    if revision == newest_revision():
        return
    if revision in known_revisions():
        raise StoreOutdated(shown, revision, newest_revision())
    raise StoreUnknown(shown, revision)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the store to `revision`, creating it if need be; a store already there is left untouched."""
    newest = newest_revision()
    if revision == "head" and newest is not None:
        with get_engine(url).connect() as connection:
            if _revision(connection) == newest:
                return
    from alembic import command

    config = _config()
    with get_engine(url).begin() as connection:
        serialize_migrations(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
