"""Schema migrations: every store, SQLite included, is created and upgraded by Alembic.

Alembic is imported only when a store needs upgrading: importing it costs ~0.6 s, a
tenth of an unchanged re-scan, and a store already at head only needs one SELECT.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from storage.dialect import serialize_migrations
from storage.session import display_url, get_engine

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
def newest_revision() -> str | None:
    """The head of the (linear) migration chain, read from the files without Alembic."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current(url: str) -> str | None:
    """The revision the store at `url` is at (None for an empty store)."""
    with get_engine(url).connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the store to `revision`; a store already there is left untouched."""
    newest = newest_revision()
    if revision == "head" and newest is not None and current(url) == newest:
        return
    from alembic import command

    config = _config()
    with get_engine(url).begin() as connection:
        serialize_migrations(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class StoreMissing(LookupError):
    """There is no seedflow store at the URL (reads never create one)."""


class StoreOutdated(RuntimeError):
    """The store's schema is behind this seedflow's (reads never migrate one)."""


def require_current(url: str) -> None:
    """Refuse a missing or outdated store before anything connects in a way that creates it.

    SQLite creates a database file on connecting, so a missing file is refused first.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).is_file():
            raise StoreMissing(f"no seedflow store at {display_url(url)}")
    revision = current(url)
    if revision is None:
        raise StoreMissing(f"no seedflow store at {display_url(url)}")
    if revision != newest_revision():
        raise StoreOutdated(
            f"the store at {display_url(url)} is at schema {revision}, this seedflow needs {newest_revision()}:"
            " run `seedflow db upgrade`"
        )
