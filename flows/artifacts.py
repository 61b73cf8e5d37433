"""What a run shows in the Prefect UI: a summary, a per-stage table and live progress."""

from __future__ import annotations

import os
from typing import Any
from uuid import UUID

from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from flows.report import OUTCOMES, RunReport


class Progress:
    """A progress artifact moved forward as batches are stored."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)
        self.id: UUID = create_progress_artifact(
            progress=0.0, key="ingest-progress", description="Batches stored so far"
        )

    def advance(self, done: int) -> None:
        update_progress_artifact(self.id, progress=round(100.0 * done / self.total, 1))


def _markdown(report: RunReport) -> str:
    data = report.as_dict()
    lines = [f"# Ingest of `{data['source']}`", "", "| outcome | documents |", "|---|---:|"]
    lines += [f"| {name} | {data['outcomes'][name]} |" for name in OUTCOMES]
    if data["languages"]:
        lines += ["", "## Languages", "", "| language | documents |", "|---|---:|"]
        lines += [f"| {code} | {n} |" for code, n in data["languages"].items()]
    duplicates = {k: v for k, v in data["counts"].items() if k in {"duplicate", "near_duplicate"}}
    if duplicates:
        lines += ["", "## Duplicates", ""] + [f"- {k.replace('_', ' ')}: {v}" for k, v in duplicates.items()]
    if data["rejected"]:
        lines += ["", "## Rejected files", "", "| file | reason |", "|---|---|"]
        lines += [f"| `{r['key']}` | {r['reason']} |" for r in data["rejected"][:200]]
    lines += ["", "## Time per stage", "", "| stage | seconds |", "|---|---:|"]
    lines += [f"| {stage} | {seconds:.3f} |" for stage, seconds in data["stage_seconds"].items()]
    lines += ["", f"Elapsed: {data['elapsed']:.2f} s"]
    lines += ["", f"[What this run did to the corpus]({os.environ['SEEDFLOW_UI_URL'].rstrip('/')}/runs/{data['flow_run_id']})"] if os.environ.get("SEEDFLOW_UI_URL") and data["flow_run_id"] else []
    return "\n".join(lines)


def _stage_table(report: RunReport) -> list[dict[str, Any]]:
    return [
        {
            "stage": stage,
            "task_runs": report.stage_runs[stage],
            "documents": report.stage_documents[stage],
            "seconds": round(seconds, 3),
        }
        for stage, seconds in report.stage_seconds.items()
    ]


def publish(report: RunReport) -> None:
    """The run's summary and per-stage table, as artifacts attached to the flow run."""
    create_markdown_artifact(markdown=_markdown(report), key="ingest-summary", description="Ingest run summary")
    create_table_artifact(table=_stage_table(report), key="ingest-stages", description="Per-stage counts and durations")
