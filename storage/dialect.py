"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]
) -> None:
    """INSERT … ON CONFLICT DO NOTHING: concurrent writers may race to create the same row."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=list(unique)))


def locking(session: Session, statement: Select[Any]) -> Select[Any]:
    """Row locks where the database has them (SQLite serialises writers on its own)."""
    if session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update()
    return statement


# An arbitrary, fixed key: every seedflow process migrating one PostgreSQL database takes it.
_MIGRATION_LOCK = 0x5EEDF10


def serialize_migrations(connection: Connection) -> None:
    """Make concurrent first runs on an empty PostgreSQL store migrate one after the other.

    The lock is held until the surrounding transaction ends. SQLite needs none: its
    migration transaction already holds the database's single write lock.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
