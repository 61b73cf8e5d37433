"""Bookkeeping of ingestion runs, each in its own short transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storage import queries
from storage.session import session_scope


def begin(db_url: str, flow_run_id: str | None, source: str) -> int:
    with session_scope(db_url) as session:
        return queries.start_run(session, flow_run_id, source, datetime.now(UTC))


def end(db_url: str, run_id: int, status: str, counts: dict[str, Any]) -> list[tuple[str, str]]:
    """Close the run and return the files it rejected, with reasons."""
    with session_scope(db_url) as session:
        queries.finish_run(session, run_id, status, counts, datetime.now(UTC))
        return queries.rejected_reasons(session, run_id)
