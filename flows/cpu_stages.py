"""The CPU-bound stages (extract → clean → detect language) over a stream of batches.

Inline, each batch goes through the three stages in turn. On a runner (a process pool or
Dask), each batch in flight moves on to its next stage as soon as its previous one is
done, no batch waits for another, and two batches per worker are kept in flight so the
workers keep busy while the flow dedupes and stores. Batches come back in discovery
order either way, so the store sees the same sequence of writes whatever the parallelism.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

from prefect import Task
from prefect.futures import PrefectFuture, as_completed
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner
from prefect.utilities.annotations import quote

from tasks.batch import Batch

Configure = Callable[[Task[..., Any], str], Task[..., Any]]
Account = Callable[[Task[..., Any], float, int, int], None]


@functools.cache
def stages() -> tuple[Task[..., Batch], ...]:
    """The stages, imported with the first batch: a re-scan that finds nothing changed has
    none, and skips loading the extraction and language stack (a sixth of its start-up)."""
    from tasks.clean import clean_task
    from tasks.extract import extract_task
    from tasks.language import detect_language_task

    return (extract_task, clean_task, detect_language_task)


def _passing(runner: TaskRunner[Any] | None) -> Callable[[Batch], Any]:
    """quote() spares Prefect walking every document of a batch to track task inputs
    (tens of ms per task run); Prefect's own runners unwrap it, Dask's does not."""
    if runner is None or isinstance(runner, ProcessPoolTaskRunner):
        return quote
    return lambda batch: batch


def process(
    numbered: Iterator[tuple[int, Batch]],
    total: int,
    configured: Configure,
    account: Account,
    runner: TaskRunner[Any] | None = None,
    workers: int = 1,
    extract_options: dict[str, Any] | None = None,
) -> Iterator[tuple[int, Batch]]:
    """Yield (number, batch) after the CPU-bound stages, in the order the batches came in."""
    options = [extract_options or {}, {}, {}]
    passing = _passing(runner)
    if runner is None:
        for number, batch in numbered:
            for stage, extra in zip(stages(), options):
                began = time.perf_counter()
                batch = configured(stage, f"{stage.name}[{number}/{total}]")(passing(batch), **extra)
                account(stage, began, 1, len(batch.documents))
            yield number, batch
        return

    in_flight: dict[PrefectFuture[Batch], tuple[int, int, float]] = {}
    finished: dict[int, Batch] = {}

    def start(number: int, index: int, batch: Batch) -> None:
        stage = stages()[index]
        task = configured(stage, f"{stage.name}[{number}/{total}]")
        future = runner.submit(task, {"batch": passing(batch), **options[index]})
        in_flight[future] = (number, index, time.perf_counter())

    upcoming = iter(numbered)
    wanted = 1
    while True:
        while len(in_flight) + len(finished) < 2 * max(workers, 1):
            number, batch = next(upcoming, (0, None))
            if batch is None:
                break
            start(number, 0, batch)
        if wanted in finished:
            yield wanted, finished.pop(wanted)
            wanted += 1
            continue
        if not in_flight:
            return
        future = next(as_completed(list(in_flight)))
        number, index, began = in_flight.pop(future)
        batch = future.result()
        account(stages()[index], began, 1, len(batch.documents))
        if index + 1 < len(stages()):
            start(number, index + 1, batch)
        else:
            finished[number] = batch
