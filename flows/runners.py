"""Where the CPU-bound stages run: here, in a local process pool, or on a Dask cluster.

The flow opens the runner itself from its `workers` and `dask_address` parameters, so a
deployment (served, or on a work pool) scales out by its parameters alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.settings import PREFECT_API_URL
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner


@contextmanager
def _api_shared_with_workers() -> Iterator[None]:
    """Point new pool worker processes at this run's temporary Prefect API.

    Without a configured API each spawned worker would start a temporary API of its own
    (a server process, ~200 MB and seconds of start-up per worker), and its task runs
    would not show on this flow run.
    """
    if PREFECT_API_URL.value() or "PREFECT_API_URL" in os.environ:
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    if not server.running:
        yield
        return
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


@contextmanager
def cpu_runner(workers: int = 1, dask_address: str | None = None) -> Iterator[TaskRunner[Any] | None]:
    """A Dask cluster when given its address, N processes for N > 1 workers, else None (run inline)."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        with DaskTaskRunner(address=dask_address) as runner:
            yield runner
    elif workers > 1:
        from tasks.language import warm_up

        with _api_shared_with_workers(), ProcessPoolTaskRunner(max_workers=workers, initializer=warm_up) as runner:
            yield runner
    else:
        yield None
