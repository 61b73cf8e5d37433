"""The store through time: records as of a moment, and what changed between two versions."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import Session

from storage.filters import Filters
from storage.models import DocumentRow, DocumentVersion, IngestionRun
from storage.record import export_record
from storage.status import Status

# Fields every new version has different, which say nothing about the change.
_BOOKKEEPING = {"key", "version", "text", "ingested_at", "flow_run_id"}


class UnknownMoment(ValueError):
    """Neither an ISO 8601 timestamp nor the id of a flow run this store knows."""


def parse_moment(value: str) -> datetime | None:
    """An ISO 8601 timestamp (UTC when it has no zone), or None when `value` is not one."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cutoff(session: Session, moment: datetime | str) -> ColumnElement[bool]:
    """Which versions existed at `moment`: a timestamp, or the end of a flow run.

    A timestamp selects versions ingested at or before it. A flow run selects every
    version up to the run's last one in commit order, so writes of runs beside it that
    committed before its end count too; a run that wrote nothing stands for its end time.
    """
    if isinstance(moment, str):
        parsed = parse_moment(moment)
        if parsed is None:
            last = session.scalar(select(func.max(DocumentVersion.seq)).where(DocumentVersion.flow_run_id == moment))
            if last is not None:
                return DocumentVersion.seq <= last
            run = session.scalar(select(IngestionRun).where(IngestionRun.flow_run_id == moment))
            if run is None:
                raise UnknownMoment(f"{moment!r} is neither an ISO 8601 timestamp nor a flow run of this store")
            parsed = run.finished_at or run.started_at
        moment = parsed
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite stores the UTC wall time as text; compare like with like.
        moment = moment.replace(tzinfo=None)
    return DocumentVersion.ingested_at <= moment


def as_of(session: Session, moment: datetime | str, filters: Filters) -> Iterator[dict[str, Any]]:
    """Each document's version current at `moment`, in key order; deleted ones absent."""
    for row in as_of_rows(session, moment, filters):
        yield export_record(row, row.key)  # type: ignore[arg-type]


def as_of_rows(session: Session, moment: datetime | str, filters: Filters) -> Iterator[Row[Any]]:
    """`as_of` as version columns plus `key`, for the exports."""
    then = (
        select(DocumentVersion.document_id, func.max(DocumentVersion.version).label("version"))
        .where(cutoff(session, moment))
        .group_by(DocumentVersion.document_id)
        .subquery()
    )
    statement = (
        select(DocumentVersion.__table__, DocumentRow.key)
        .join(then, (then.c.document_id == DocumentVersion.document_id) & (then.c.version == DocumentVersion.version))
        .join(DocumentRow, DocumentRow.id == DocumentVersion.document_id)
        .where(DocumentVersion.status != Status.DELETED)
    )
    statement = filters.apply(session, statement).order_by(DocumentRow.key).execution_options(yield_per=1000)
    yield from session.connection().execute(statement)


def diff(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Metadata changes, one a line, then a unified diff of the text."""
    key = new["key"]
    lines = [f"{key}: v{old['version']} ({old['ingested_at']}) -> v{new['version']} ({new['ingested_at']})"]
    for name in sorted((old.keys() | new.keys()) - _BOOKKEEPING):
        if old.get(name) != new.get(name):
            lines.append(f"  {name}: {old.get(name)!r} -> {new.get(name)!r}")
    if len(lines) == 1:
        lines.append("  (no metadata changes)")
    text = difflib.unified_diff(
        old["text"].splitlines(keepends=True), new["text"].splitlines(keepends=True),
        fromfile=f"{key}@v{old['version']}", tofile=f"{key}@v{new['version']}",
    )
    body = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in text)
    return "\n".join(lines) + "\n" + body
