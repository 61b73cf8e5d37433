"""Schema migrations: every store, SQLite included, is created and upgraded by Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.dialect import serialize_migrations
from storage.session import get_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(url: str) -> str | None:
    """The revision the store at `url` is at (None for an empty store)."""
    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the store to `revision`; a store already there is left untouched."""
    if revision == "head" and current(url) == head():
        return
    config = _config()
    with get_engine(url).begin() as connection:
        serialize_migrations(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
