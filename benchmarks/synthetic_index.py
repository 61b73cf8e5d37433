"""A large near-duplicate index, fast: synthetic active documents bulk-loaded into a store.

The dedupe benchmark needs stores with up to a million signed documents, i.e. 40 million
band rows. Written through the store's own inserts that takes hours; here the rows go in
bulk (SQLite: executemany on one connection, band rows in key order; PostgreSQL: binary
COPY built with numpy), a transaction per CHUNK documents, with the index tables'
foreign keys and secondary indexes dropped during the load and rebuilt after it (one
sort each instead of 40 million B-tree insertions). The schema ends exactly as
migrated: the dropped definitions are read from the database and replayed.

Also: throw-away PostgreSQL databases, and the index's size on disk.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import numpy as np
from psycopg import Cursor
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tasks.near_duplicates.signatures import SignatureParams, band_matrix

CHUNK = 50_000
INDEX_TABLES = ("lsh_bands", "near_duplicate_signatures")
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _signatures(generator: np.random.Generator, ids: range, params: SignatureParams) -> tuple[np.ndarray, np.ndarray]:
    """Random signatures of `ids` and their band keys (one row of `params.bands` per document)."""
    values = generator.integers(0, 2**32, size=(len(ids), params.num_perm), dtype=np.uint32)
    return values, band_matrix(values, params)


# --------------------------------------------------------------------------- SQLite


def _fill_sqlite(path: str, count: int, params: SignatureParams, seed: int) -> None:
    """Documents and signatures in id order; band rows sorted by key, so every insert appends."""
    generator = np.random.default_rng(seed)
    now = datetime.now(UTC).isoformat(sep=" ")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?, ?)",
            INDEX_TABLES,
        ).fetchall()
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        buckets = np.empty(count * params.bands, dtype=np.int64)
        owners = np.empty(count * params.bands, dtype=np.int32)
        for start in range(0, count, CHUNK):
            ids = range(start + 1, min(count, start + CHUNK) + 1)
            values, keys = _signatures(generator, ids, params)
            connection.execute("BEGIN")
            connection.executemany(
                "INSERT INTO documents (id, key, first_seen_at, current_version, status, size, mtime_ns, updated_at) "
                "VALUES (?, ?, ?, 1, 'active', 0, 0, ?)",
                ((i, f"synthetic/{i:07d}", now, now) for i in ids),
            )
            connection.executemany(
                "INSERT INTO near_duplicate_signatures (document_id, signature) VALUES (?, ?)",
                zip(ids, (row.astype("<u4").tobytes() for row in values)),
            )
            connection.execute("COMMIT")
            span = slice(start * params.bands, ids[-1] * params.bands)
            buckets[span] = keys.ravel()
            owners[span] = np.repeat(np.arange(ids[0], ids[-1] + 1, dtype=np.int32), params.bands)
        order = np.lexsort((owners, buckets))
        buckets, owners = buckets[order], owners[order]
        del order
        step = CHUNK * params.bands
        for start in range(0, len(buckets), step):
            connection.execute("BEGIN")
            connection.executemany(
                "INSERT INTO lsh_bands (bucket, document_id) VALUES (?, ?)",
                zip(buckets[start : start + step].tolist(), owners[start : start + step].tolist()),
            )
            connection.execute("COMMIT")
        for _, sql in indexes:
            connection.execute(sql)
    finally:
        connection.close()


def _sqlite_index_bytes(path: str) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name "
            "WHERE m.tbl_name IN (?, ?) GROUP BY m.tbl_name",
            INDEX_TABLES,
        ).fetchall()
    finally:
        connection.close()
    return {table: int(size) for table, size in rows}


# --------------------------------------------------------------------------- PostgreSQL


def _binary_rows(dtype: np.dtype, **columns: np.ndarray) -> bytes:
    """COPY BINARY tuples: field count, then each field's length and big-endian value."""
    rows = np.zeros(len(next(iter(columns.values()))), dtype=dtype)
    rows["fields"] = len(columns)
    for name, values in columns.items():
        rows[f"{name}_len"] = np.dtype(dtype[name]).itemsize
        rows[name] = values
    return rows.tobytes()


def _dtype(*fields: tuple[str, str]) -> np.dtype:
    layout = [("fields", ">i2")]
    for name, kind in fields:
        layout += [(f"{name}_len", ">i4"), (name, kind)]
    return np.dtype(layout)


def _copy(cursor: Cursor, statement: str, payload: bytes) -> None:
    with cursor.copy(statement) as copy:
        copy.write(_COPY_HEADER + payload + _COPY_TRAILER)


def _fill_postgresql(url: str, count: int, params: SignatureParams, seed: int) -> None:
    """Each chunk COPYed in id order (the heap order a real ingest leaves), then the indexes built."""
    engine = create_engine(url)
    generator = np.random.default_rng(seed)
    bands_type = _dtype(("bucket", ">i8"), ("document_id", ">i4"))
    signature_type = _dtype(("document_id", ">i4"), ("signature", f"V{4 * params.num_perm}"))
    now = datetime.now(UTC).isoformat()
    try:
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            raw.autocommit = False
            cursor = raw.cursor()
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '256MB'")
            constraints = cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
                "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('p', 'f') ORDER BY contype DESC",
                (list(INDEX_TABLES),),
            ).fetchall()
            indexes = cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE contype = 'p')",
                (list(INDEX_TABLES),),
            ).fetchall()
            for table, name, _, _ in constraints:  # foreign keys first, then primary keys
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            raw.commit()
            for start in range(0, count, CHUNK):
                ids = range(start + 1, min(count, start + CHUNK) + 1)
                values, keys = _signatures(generator, ids, params)
                lines = "".join(f"{i}\tsynthetic/{i:07d}\t{now}\t1\tactive\t0\t0\t{now}\n" for i in ids)
                with cursor.copy(
                    "COPY documents (id, key, first_seen_at, current_version, status, size, mtime_ns, updated_at) FROM STDIN"
                ) as copy:
                    copy.write(lines)
                document_ids = np.arange(ids[0], ids[-1] + 1, dtype=np.int32)
                blobs = np.ascontiguousarray(values.astype("<u4")).view(f"V{4 * params.num_perm}").ravel()
                _copy(cursor, "COPY near_duplicate_signatures (document_id, signature) FROM STDIN (FORMAT BINARY)",
                      _binary_rows(signature_type, document_id=document_ids, signature=blobs))
                _copy(cursor, "COPY lsh_bands (bucket, document_id) FROM STDIN (FORMAT BINARY)",
                      _binary_rows(bands_type, bucket=keys.ravel(), document_id=np.repeat(document_ids, params.bands)))
                raw.commit()
            for table, name, definition, _ in reversed(constraints):  # primary keys first
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for _, definition in indexes:
                cursor.execute(definition)
            cursor.execute("SELECT setval(pg_get_serial_sequence('documents', 'id'), %s)", (max(count, 1),))
            raw.commit()
            raw.autocommit = True
            cursor.execute("VACUUM ANALYZE documents")
            for table in INDEX_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
    finally:
        engine.dispose()


def _postgresql_index_bytes(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {t: int(connection.scalar(text("SELECT pg_total_relation_size(:t)"), {"t": t})) for t in INDEX_TABLES}
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- both


def fill(url: str, count: int, params: SignatureParams, seed: int) -> None:
    """Index `count` synthetic active documents (ids 1…count) in an empty, migrated store."""
    if count <= 0:
        return
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _fill_sqlite(str(parsed.database), count, params, seed)
    else:
        _fill_postgresql(url, count, params, seed)


def index_bytes(url: str) -> dict[str, int]:
    """Bytes on disk of each index table with its indexes (SQLite: dbstat; PostgreSQL: total relation size)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_index_bytes(str(parsed.database))
    return _postgresql_index_bytes(url)


@contextmanager
def throwaway_database(server_url: str, label: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on `server_url`'s server, dropped on the way out."""
    from storage.session import get_engine

    name = f"seedflow_bench_{label}_{uuid.uuid4().hex[:8]}"
    target = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield target
        finally:
            get_engine(target).dispose()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
