"""The three deployments of the `ingest` flow and what starts each of them.

- `ingest`: on a schedule (every 10 minutes unless told otherwise), tagged `scheduled`;
- `watch`: started by `seedflow.source.changed` events from the folder watcher, tagged `watch`;
- `reingest`: started by hand (`seedflow reingest`, the UI, or `prefect deployment run
  'ingest/reingest'`), tagged `manual`, with `force`, `paths` and `since` parameters.

Each has a concurrency limit of 1, so runs of one deployment never overlap; the flow
itself also holds a per-source lock (see `flows.ingest`) so runs of different ones don't.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.events import DeploymentEventTrigger
from prefect.deployments.runner import EntrypointType, RunnerDeployment

from deployments.events import CHANGED_EVENT, source_resource_id
from flows.ingest import ingest
from flows.options import IngestOptions
from flows.settings import Settings

DEFAULT_INTERVAL_SECONDS = 600


@dataclass(frozen=True)
class Schedule:
    """Interval by default; a cron expression replaces it when given."""

    interval_seconds: int = DEFAULT_INTERVAL_SECONDS
    cron: str | None = None

    @classmethod
    def from_environment(cls) -> Schedule:
        interval = int(os.environ.get("SEEDFLOW_SCHEDULE_INTERVAL", DEFAULT_INTERVAL_SECONDS))
        return cls(interval_seconds=interval, cron=os.environ.get("SEEDFLOW_SCHEDULE_CRON") or None)


def _one_at_a_time() -> ConcurrencyLimitConfig:
    return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def build(settings: Settings, schedule: Schedule, options: IngestOptions | None = None) -> list[RunnerDeployment]:
    """Deployments bound to one source folder and store, with the run options spelled out.

    Every option is stored with the deployment, so the UI shows what a run will do and a
    manual run (`--param force=true`) changes only what it names.
    """
    parameters = {"source": str(settings.source), "db": settings.database_url, **(options or IngestOptions()).parameters()}
    timing = {"cron": schedule.cron} if schedule.cron else {"interval": schedule.interval_seconds}
    # Served runs import the flow by module path, so they work from any working directory.
    common = {"parameters": parameters, "concurrency_limit": _one_at_a_time(), "entrypoint_type": EntrypointType.MODULE_PATH}
    scheduled = ingest.to_deployment(
        name="ingest",
        tags=["scheduled"],
        **common,
        description="Ingest the source folder on a schedule.",
        **timing,
    )
    watched = ingest.to_deployment(
        name="watch",
        tags=["watch"],
        **common,
        description="Ingest when the folder watcher reports a change.",
        triggers=[
            DeploymentEventTrigger(
                name="source changed",
                expect={CHANGED_EVENT},
                match={"prefect.resource.id": source_resource_id(settings.source)},
            )
        ],
    )
    manual = ingest.to_deployment(
        name="reingest",
        tags=["manual"],
        **common,
        description="Re-ingest by hand: force, only some paths (globs), or only files modified since a date.",
    )
    return [scheduled, watched, manual]
