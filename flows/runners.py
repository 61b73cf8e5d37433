"""Where the CPU-bound stages run: here, in a local process pool, or on a Dask cluster.

The flow opens the runner itself from its `workers` and `dask_address` parameters, so a
deployment (served, or on a work pool) scales out by its parameters alone.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner

from tasks.language import warm_up


def cpu_runner(workers: int = 1, dask_address: str | None = None) -> TaskRunner[Any] | nullcontext[None]:
    """A Dask cluster when given its address, N processes for N > 1 workers, else nothing (run inline)."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    if workers > 1:
        return ProcessPoolTaskRunner(max_workers=workers, initializer=warm_up)
    return nullcontext()
