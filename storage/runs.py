"""Ingestion runs: one row per flow run, opened and closed in short transactions of their own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import IngestionRun, RejectedFile
from storage.record import utc
from storage.session import session_scope
from storage.status import RunStatus


def start_run(session: Session, flow_run_id: str | None, source: str, now: datetime) -> int:
    """Register a run; a retried flow run reuses its row instead of adding another."""
    if flow_run_id is not None:
        existing = session.scalar(select(IngestionRun).where(IngestionRun.flow_run_id == flow_run_id))
        if existing is not None:
            existing.status = RunStatus.RUNNING
            return existing.id
    run = IngestionRun(flow_run_id=flow_run_id, source=source, started_at=now, status=RunStatus.RUNNING, counts={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: RunStatus, counts: dict[str, Any], now: datetime) -> None:
    session.execute(update(IngestionRun).where(IngestionRun.id == run_id).values(status=status, counts=counts, finished_at=now))


def rejected_reasons(session: Session, run_id: int) -> list[tuple[str, str]]:
    statement = select(RejectedFile.key, RejectedFile.reason).where(RejectedFile.run_id == run_id).order_by(RejectedFile.key)
    return [(key, reason) for key, reason in session.execute(statement)]


def ingestion_runs(session: Session) -> list[dict[str, Any]]:
    statement = select(IngestionRun).order_by(IngestionRun.started_at, IngestionRun.id)
    return [
        {
            "flow_run_id": run.flow_run_id,
            "source": run.source,
            "status": str(run.status),
            "started_at": utc(run.started_at),
            "finished_at": utc(run.finished_at) if run.finished_at else None,
            "counts": run.counts,
        }
        for run in session.scalars(statement)
    ]


def begin(db_url: str, flow_run_id: str | None, source: str) -> int:
    with session_scope(db_url) as session:
        return start_run(session, flow_run_id, source, datetime.now(UTC))


def end(db_url: str, run_id: int, status: RunStatus, counts: dict[str, Any]) -> list[tuple[str, str]]:
    """Close the run and return the files it rejected, with reasons."""
    with session_scope(db_url) as session:
        finish_run(session, run_id, status, counts, datetime.now(UTC))
        return rejected_reasons(session, run_id)
