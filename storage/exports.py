"""Export records streamed to JSON Lines, CSV or Parquet, in bounded memory.

Rows come from the database in pages (`yield_per`; a server-side cursor on PostgreSQL)
as plain column tuples rather than ORM objects, which halves the cost per row; Parquet
is written a row group at a time, a group closing at `GROUP_ROWS` rows or
`GROUP_CHARS` characters of text, whichever comes first, so neither a large store nor
a few huge documents hold more than one group in memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from storage.filters import Filters
from storage.models import DocumentRow, DocumentVersion
from storage.record import METADATA_FIELDS, export_record, utc

FORMATS = ("jsonl", "parquet", "csv")
GROUP_ROWS = 10_000
GROUP_CHARS = 64 * 1024 * 1024


def rows(session: Session, filters: Filters, all_versions: bool = False) -> Iterator[Row[Any]]:
    """Current version of every document (or every version) as version columns plus `key`, in key order."""
    statement = select(DocumentVersion.__table__, DocumentRow.key).join(
        DocumentRow, DocumentRow.id == DocumentVersion.document_id
    )
    if not all_versions:
        statement = statement.where(DocumentVersion.version == DocumentRow.current_version)
    statement = filters.apply(session, statement).order_by(DocumentRow.key, DocumentVersion.version)
    # Core rows, not the ORM's result machinery: twice as fast for a whole-store export.
    yield from session.connection().execute(statement.execution_options(yield_per=2000))


def records(session: Session, filters: Filters, all_versions: bool = False) -> Iterator[dict[str, Any]]:
    for row in rows(session, filters, all_versions):
        yield export_record(row, row.key)  # type: ignore[arg-type]


def write(rows: Iterable[dict[str, Any]], fmt: str, out: IO[Any]) -> int:
    """Write export records to `out` as JSON Lines or CSV (text); returns the count."""
    if fmt == "jsonl":
        count = 0
        for count, row in enumerate(rows, 1):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return count
    if fmt == "csv":
        return _csv(rows, out)
    raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")


def write_rows(rows: Iterable[Row[Any]], fmt: str, out: IO[Any]) -> int:
    """Write version rows (`rows`, `timeline.as_of_rows`) in `fmt`: Parquet straight from the
    columns (binary `out`), the others as export records (text `out`)."""
    if fmt == "parquet":
        return _parquet(rows, out)
    return write((export_record(row, row.key) for row in rows), fmt, out)  # type: ignore[arg-type]


COLUMNS = (
    "key", "version", "status", "title", "published", "language", "language_score", "languages", "text",
    "content_hash", "duplicate_of", "near_duplicate_of", "similarity", "error", *METADATA_FIELDS,
    "file_sha256", "ingested_at", "flow_run_id",
)


def _csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """One row per record; `languages` as its JSON text, other values as written."""
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for count, row in enumerate(rows, 1):
        writer.writerow({**row, "languages": json.dumps(row["languages"], ensure_ascii=False)})
    return count


def parquet_schema() -> Any:
    import pyarrow as pa

    text_fields = {"key", "status", "title", "language", "text", "content_hash", "duplicate_of", "near_duplicate_of",
                   "error", *METADATA_FIELDS, "file_sha256", "flow_run_id"}
    types = {
        "version": pa.int32(),
        "published": pa.date32(),
        "language_score": pa.float64(),
        "similarity": pa.float64(),
        "languages": pa.list_(pa.struct([("language", pa.string()), ("score", pa.float64())])),
        "ingested_at": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([(name, pa.string() if name in text_fields else types[name]) for name in COLUMNS])


def _parquet(rows: Iterable[Row[Any]], out: IO[bytes]) -> int:
    """Columns filled straight from the rows (no record dicts), one row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        columns, chars = _empty(), 0
        for row in rows:
            chars += _append(columns, row)
            if len(columns["key"]) >= GROUP_ROWS or chars >= GROUP_CHARS:
                count += _flush(writer, columns, schema, pa)
                columns, chars = _empty(), 0
        if columns["key"] or count == 0:
            count += _flush(writer, columns, schema, pa)
    return count


def _empty() -> dict[str, list[Any]]:
    return {name: [] for name in COLUMNS}


def _append(columns: dict[str, list[Any]], row: Row[Any]) -> int:
    """Add one version to the column lists as `export_record` shapes it; returns its text length."""
    meta = row.meta or {}
    for name in _PLAIN:
        columns[name].append(getattr(row, name))
    for name in METADATA_FIELDS:
        columns[name].append(meta.get(name))
    columns["key"].append(row.key)
    columns["status"].append(str(row.status))
    columns["ingested_at"].append(utc(row.ingested_at))
    return len(row.text or "")


_PLAIN = ("version", "title", "published", "language", "language_score", "languages", "text", "content_hash",
          "duplicate_of", "near_duplicate_of", "similarity", "error", "file_sha256", "flow_run_id")


def _flush(writer: Any, columns: dict[str, list[Any]], schema: Any, pa: Any) -> int:
    writer.write_table(pa.Table.from_pydict(columns, schema=schema), row_group_size=max(1, len(columns["key"])))
    return len(columns["key"])
