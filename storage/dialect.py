"""The few statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Select, Table, any_, bindparam, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]
) -> None:
    """INSERT … ON CONFLICT DO NOTHING: concurrent writers may race to create the same row.

    The rows go as parameters of one cached statement (executemany), not as a VALUES
    list, which SQLAlchemy would compile afresh for every batch (~80 ms for 250 rows).
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(table).on_conflict_do_nothing(index_elements=list(unique)), list(rows))


def insert_many(session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Plain INSERT of many rows, each a tuple in `columns` order.

    SQLAlchemy turns every row into a dict of bound parameters and processes it, a few
    microseconds a row; a batch's index write is ~10,000 rows, so on SQLite the tuples
    go straight to the driver's executemany (3× faster). PostgreSQL keeps SQLAlchemy's
    path, which packs the rows into multi-row VALUES statements.
    """
    if not rows:
        return
    if session.get_bind().dialect.name == "sqlite":
        marks = ", ".join("?" * len(columns))
        statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
        session.connection().exec_driver_sql(statement, list(rows))
        return
    session.execute(table.insert(), [dict(zip(columns, row)) for row in rows])


def locking(session: Session, statement: Select[Any]) -> Select[Any]:
    """Row locks where the database has them (SQLite serialises writers on its own)."""
    if session.get_bind().dialect.name == "postgresql":
        return statement.with_for_update()
    return statement


# An arbitrary, fixed key: every seedflow process migrating one PostgreSQL database takes it.
_MIGRATION_LOCK = 0x5EEDF10


def serialize_migrations(connection: Connection) -> None:
    """Make concurrent first runs on an empty store migrate one after the other.

    Call it first in the migration's transaction; the lock lasts until that transaction
    ends, so the next process finds the store already at head. PostgreSQL takes an
    advisory lock. SQLite's driver begins a transaction only at the first INSERT or
    UPDATE and runs CREATE TABLE outside one, so it would let two processes both find
    the store empty; BEGIN IMMEDIATE takes the database's write lock up front.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def serialize_writers(session: Session, lock: int) -> None:
    """Hold a transaction-wide PostgreSQL advisory lock so writers of one index take turns.

    SQLite needs nothing: it already admits one writer at a time, from its first write.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(lock)))


def in_values(session: Session, column: ColumnElement[int], values: Sequence[int]) -> ColumnElement[bool]:
    """`column IN values` as ONE bound parameter, however many values there are.

    A plain IN list binds a parameter per value, and a batch's band keys run into the
    thousands; PostgreSQL takes an array (`= ANY`), SQLite a JSON array (`json_each`).
    """
    if session.get_bind().dialect.name == "postgresql":
        # `= ANY(array)` of thousands of values makes the planner scan the table;
        # a subquery over `unnest` is planned as index look-ups.
        wanted = func.unnest(bindparam("values", list(values), type_=postgresql.ARRAY(BigInteger)))
        return column.in_(select(wanted))
    each = func.json_each(bindparam("values", json.dumps(list(values)))).table_valued("value")
    return column.in_(select(each.c.value))


def in_few(session: Session, column: ColumnElement[int], subquery: Select[Any]) -> ColumnElement[bool]:
    """`column IN (subquery)` for a subquery known to return few rows.

    PostgreSQL plans `IN (subquery)` from its row estimate, which for thousands of
    look-up keys makes it hash-join whole tables; `= ANY(ARRAY(subquery))` runs the
    subquery first and then fetches the rows it names through the index.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(func.array(subquery.scalar_subquery()))
    return column.in_(subquery)
