"""Task runners for the CPU-bound stages: threads, a local process pool, or a Dask cluster."""

from __future__ import annotations

from typing import Any

from prefect import Flow
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from flows.ingest import ingest
from tasks.language import warm_up


def task_runner(workers: int = 1, dask_address: str | None = None) -> TaskRunner[Any]:
    """A Dask cluster when given its address, N processes for N workers, else threads."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    if workers > 1:
        return ProcessPoolTaskRunner(max_workers=workers, initializer=warm_up)
    return ThreadPoolTaskRunner()


def ingest_flow(workers: int = 1, dask_address: str | None = None) -> Flow[..., dict[str, Any]]:
    """The ingest flow bound to the runner that matches the requested parallelism."""
    return ingest.with_options(task_runner=task_runner(workers, dask_address))
