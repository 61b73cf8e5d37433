"""The `ingest` flow: discover → extract → clean → detect language → dedupe → store.

Each stage is one task run per batch of documents, so a run over 10,000 files makes
tens of task runs rather than tens of thousands (a task run costs milliseconds).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from prefect import Task, flow, get_run_logger, runtime
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture, as_completed
from prefect.settings import PREFECT_API_URL
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows.artifacts import Progress, publish
from flows.report import RunReport
from flows.settings import Settings
from storage import migrate, runs
from storage.session import display_url
from tasks.clean import clean_task
from tasks.dedupe import dedupe_task
from tasks.discover import Selection, discover_task
from tasks.document import Batch, Document
from tasks.extract import extract_task
from tasks.language import detect_language_task
from tasks.store import store_deletions_task, store_task

DEFAULT_BATCH_SIZE = 250
# The CPU-bound stages, in order: with `workers` > 1 they run on the flow's task runner.
CPU_STAGES: tuple[Task[..., Batch], ...] = (extract_task, clean_task, detect_language_task)


def _share_api_with_workers(workers: int) -> Callable[[], None]:
    """Point new pool worker processes at this run's temporary Prefect API; returns the undo.

    Without a configured API each spawned worker would start a temporary API of its own
    (a server process, ~200 MB and seconds of start-up per worker), and its task runs
    would not show on this flow run.
    """
    if workers <= 1 or PREFECT_API_URL.value() or "PREFECT_API_URL" in os.environ:
        return lambda: None
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    if not server.running:
        return lambda: None
    os.environ["PREFECT_API_URL"] = server.api_url
    return lambda: os.environ.pop("PREFECT_API_URL", None)


def _run_name() -> str:
    source = runtime.flow_run.parameters.get("source") or Settings.resolve().source
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M")
    return f"ingest-{Path(source).name or 'root'}-{stamp}"


def _batches(documents: list[Document], size: int) -> Iterator[list[Document]]:
    """Hand out batches while dropping the flow's own reference to each, so memory stays flat."""
    documents.reverse()
    while documents:
        yield [documents.pop() for _ in range(min(size, len(documents)))]


@flow(name="ingest", flow_run_name=_run_name, persist_result=False)
def ingest(
    source: str | None = None,
    db: str | None = None,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
    paths: list[str] | None = None,
    since: date | None = None,
    retries: int = 2,
    retry_delay_seconds: float = 2.0,
) -> dict[str, Any]:
    """Ingest the source folder once and return the run report.

    With `workers` > 1 the CPU-bound stages of two batches per worker at a time are submitted
    to the flow's task runner (a process pool or a Dask cluster: see `flows.runners`);
    dedupe and store always run here, batch after batch in discovery order, so the
    store sees the same sequence of writes whatever the parallelism. (With a pool, a
    stage's time in the report runs from its submission to its result.)
    """
    started = time.perf_counter()
    settings = Settings.resolve(source, db)
    url = settings.database_url
    logger = get_run_logger()
    flow_run_id = str(runtime.flow_run.id) if runtime.flow_run.id else None
    report = RunReport(source=str(settings.source), database_url=display_url(url), flow_run_id=flow_run_id)

    def configured(stage: Task[..., Any], label: str) -> Task[..., Any]:
        return stage.with_options(task_run_name=label, retries=retries, retry_delay_seconds=retry_delay_seconds)

    def account(stage: Task[..., Any], began: float, runs: int, documents: int) -> None:
        report.stage_seconds[stage.name] += time.perf_counter() - began
        report.stage_runs[stage.name] += runs
        report.stage_documents[stage.name] += documents

    def run(stage: Task[..., Any], label: str, batch: Any, *args: Any) -> Any:
        began = time.perf_counter()
        # quote(): Prefect would otherwise walk every object in the batch to track inputs,
        # which costs more per task run (tens of ms for 250 documents) than some stages.
        result = configured(stage, label)(quote(batch), *args)
        account(stage, began, 1, len(batch.documents) if isinstance(batch, Batch) else len(batch))
        return result

    def processed(numbered: Iterator[tuple[int, list[Document]]]) -> Iterator[tuple[int, Batch]]:
        """Batches through the CPU-bound stages, handed back in discovery order.

        With a pool, each batch in flight moves on to its next stage as soon as its previous
        one is done (no batch waits for another), and two per worker are in flight so that
        the pool keeps working while the caller dedupes and stores (and while this loop is
        busy there and cannot hand a batch its next stage).
        """
        if workers <= 1:
            for number, documents in numbered:
                batch = Batch(documents)
                for stage in CPU_STAGES:
                    batch = run(stage, f"{stage.name}[{number}/{total}]", batch)
                yield number, batch
            return
        in_flight: dict[PrefectFuture[Batch], tuple[int, int, float]] = {}
        context = FlowRunContext.get()
        # Prefect's own runners unwrap quote() before the task runs; Dask's does not.
        unwraps = context is not None and isinstance(context.task_runner, (ProcessPoolTaskRunner, ThreadPoolTaskRunner))
        pass_batch = quote if unwraps else (lambda batch: batch)
        finished: dict[int, Batch] = {}

        def start(number: int, index: int, batch: Batch) -> None:
            stage = CPU_STAGES[index]
            future = configured(stage, f"{stage.name}[{number}/{total}]").submit(pass_batch(batch))
            in_flight[future] = (number, index, time.perf_counter())

        upcoming = iter(numbered)
        wanted = 1
        while True:
            while len(in_flight) < 2 * workers and len(finished) < 2 * workers:
                number, documents = next(upcoming, (0, []))
                if not number:
                    break
                start(number, 0, Batch(documents))
            if wanted in finished:
                yield wanted, finished.pop(wanted)
                wanted += 1
                continue
            if not in_flight:
                return
            future = next(as_completed(list(in_flight)))
            number, index, began = in_flight.pop(future)
            batch = future.result()
            account(CPU_STAGES[index], began, 1, len(batch.documents))
            if index + 1 < len(CPU_STAGES):
                start(number, index + 1, batch)
            else:
                finished[number] = batch

    migrate.upgrade(url)
    run_id = runs.begin(url, flow_run_id, str(settings.source))
    status = "failed"
    unshare_api = _share_api_with_workers(workers)
    try:
        selection = Selection(paths=tuple(paths or ()), since=datetime.combine(since, dtime.min) if since else None)
        began = time.perf_counter()
        discovery = configured(discover_task, "discover")(settings.source, url, force, selection=selection)
        account(discover_task, began, 1, discovery.seen)
        report.counts["unchanged"] += discovery.unchanged
        total = -(-len(discovery.documents) // batch_size)
        progress = Progress(total)
        logger.info("%d files found, %d to read, %d deleted", discovery.seen, len(discovery.documents), len(discovery.deleted))
        numbered = enumerate(_batches(discovery.documents, batch_size), start=1)
        for number, batch in processed(numbered):
            batch = run(dedupe_task, f"dedupe[{number}/{total}]", batch, url)
            batch = run(store_task, f"store[{number}/{total}]", batch, url, run_id, flow_run_id)
            report.counts.update(batch.counts)
            progress.advance(number)
            logger.info("batch %d/%d stored", number, total)
        if discovery.deleted:
            report.counts["deleted"] += run(store_deletions_task, "store-deletions", discovery.deleted, url, run_id, flow_run_id)
        status = "completed"
    finally:
        unshare_api()
        report.elapsed = time.perf_counter() - started
        report.rejected = runs.end(url, run_id, status, report.as_dict()["outcomes"])
    publish(report)
    return report.as_dict()
