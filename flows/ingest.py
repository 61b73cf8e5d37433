"""The `ingest` flow: discover → extract → clean → detect language → dedupe → store.

Each stage is one task run per batch of documents, so a run over 10,000 files makes
tens of task runs rather than tens of thousands (a task run costs milliseconds).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import chain
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from prefect import Task, flow, get_run_logger, runtime
from prefect.context import TagsContext
from prefect.utilities.annotations import quote

from flows.artifacts import Progress, publish
from flows.cpu_stages import process
from flows.locks import one_ingest_per_source
from flows.options import DEFAULTS, IngestOptions
from flows.runners import cpu_runner
from flows.report import RunReport
from flows.settings import Settings
from storage import migrate, runs
from storage.status import RunStatus
from storage.session import display_url
from tasks.dedupe import dedupe_task
from tasks.discover import Selection, discover_task, extension_set
from storage.record import Document
from tasks.batch import Batch
from tasks.members import Expansion
from tasks.sources import open_source
from tasks.store import store_deletions_task, store_settlements_task, store_task


def _run_name() -> str:
    source = runtime.flow_run.parameters.get("source") or Settings.resolve().source
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M")
    return f"ingest-{Path(source).name or 'root'}-{stamp}"


def _batches(documents: list[Document], size: int) -> Iterator[Batch]:
    """Hand out batches while dropping the flow's own reference to each, so memory stays flat."""
    documents.reverse()
    while documents:
        yield Batch([documents.pop() for _ in range(min(size, len(documents)))])


@flow(name="ingest", flow_run_name=_run_name, persist_result=False)
def ingest(
    source: str | None = None,
    db: str | None = None,
    force: bool = DEFAULTS.force,
    batch_size: int = DEFAULTS.batch_size,
    workers: int = DEFAULTS.workers,
    dask_address: str | None = DEFAULTS.dask_address,
    paths: list[str] | None = DEFAULTS.paths,
    since: date | None = DEFAULTS.since,
    retries: int = DEFAULTS.retries,
    retry_delay_seconds: float = DEFAULTS.retry_delay_seconds,
    extensions: list[str] | None = DEFAULTS.extensions,
    max_bytes: int = DEFAULTS.max_bytes,
    follow_outside_symlinks: bool = DEFAULTS.follow_outside_symlinks,
    settle_seconds: float | None = None,
    max_seconds: float = DEFAULTS.max_seconds,
) -> dict[str, Any]:
    """Ingest the source folder once and return the run report.

    The parameters are those of `flows.options.IngestOptions`, with its defaults
    (`settle_seconds=None`: $SEEDFLOW_SETTLE_SECONDS, else 1 s, read as the run starts).

    With `workers` > 1 (or a `dask_address`) the CPU-bound stages run in a process pool or
    on a Dask cluster (`flows.runners`, `flows.cpu_stages`); dedupe and store always run
    here, batch after batch in discovery order, so the store sees the same sequence of
    writes whatever the parallelism. (With a pool, a stage's time in the report runs from
    its submission to its result.)

    `extensions` lists the file extensions to ingest (`""` for files without one, whose
    first bytes decide between HTML, text and rejection); `None` means every document
    format's extensions, extension-less files, and containers (`tasks.containers`: .warc,
    .zip, .tar, .gz, .jsonl, .parquet ...), each of whose members is a document keyed
    `container#member` (`tasks.members`). Files with other extensions are not read at
    all. Narrowing the list makes previously stored files look deleted.
    `max_bytes` rejects larger files without reading them; a symlink whose target lies
    outside the source is rejected unless `follow_outside_symlinks`.
    """
    options = IngestOptions.given(
        force=force, batch_size=batch_size, workers=workers, dask_address=dask_address, paths=paths, since=since,
        retries=retries, retry_delay_seconds=retry_delay_seconds, extensions=extensions, max_bytes=max_bytes,
        follow_outside_symlinks=follow_outside_symlinks, settle_seconds=settle_seconds, max_seconds=max_seconds,
    )  # fmt: skip
    return _ingest(Settings.resolve(source, db), options)


def _ingest(settings: Settings, options: IngestOptions) -> dict[str, Any]:
    started = time.perf_counter()
    url = settings.database_url
    logger = get_run_logger()
    flow_run_id = str(runtime.flow_run.id) if runtime.flow_run.id else None
    origin = open_source(settings.source, options.follow_outside_symlinks)
    # Shown in summaries, artifacts and the store: never with a credential the URL carries.
    report = RunReport(source=origin.display, database_url=display_url(url), flow_run_id=flow_run_id)
    # Doubling delays ride out a database restart without hammering it.
    backoff = [options.retry_delay_seconds * 2**attempt for attempt in range(options.retries)]

    def configured(stage: Task[..., Any], label: str) -> Task[..., Any]:
        return stage.with_options(task_run_name=label, retries=options.retries, retry_delay_seconds=backoff)

    def account(stage: Task[..., Any], began: float, runs: int, documents: int) -> None:
        report.stage_seconds[stage.name] += time.perf_counter() - began
        report.stage_runs[stage.name] += runs
        report.stage_documents[stage.name] += documents

    def run(stage: Task[..., Any], label: str, batch: Batch, *args: Any) -> Batch:
        began = time.perf_counter()
        result = configured(stage, label)(quote(batch), *args)
        account(stage, began, 1, len(batch.documents))
        return result

    # The run's tags (`manual`, `scheduled`, `watch`) describe the flow run; left on every task
    # run they make Prefect look up tag concurrency limits before each one, a wait per task.
    untagged = TagsContext(current_tags=set())
    with one_ingest_per_source(settings.source), cpu_runner(options.workers, options.dask_address) as runner, untagged:
        migrate.upgrade(url)
        run_id = runs.begin(url, flow_run_id, origin.display)
        status = RunStatus.FAILED
        try:
            since = datetime.combine(options.since, dtime.min) if options.since else None
            selection = Selection(paths=tuple(options.paths or ()), since=since)
            began = time.perf_counter()
            discovery = configured(discover_task, "discover")(
                origin, url, options.force, extensions=extension_set(options.extensions), selection=selection
            )
            account(discover_task, began, 1, discovery.seen)
            report.counts["unchanged"] += discovery.unchanged
            # Each container to read counts as one batch here: how many members it holds is
            # known only once it is read.
            total = -(-len(discovery.documents) // options.batch_size) + len(discovery.containers)
            progress = Progress(total)
            logger.info("%d files found, %d to read, %d containers to read, %d deleted", discovery.seen,
                        len(discovery.documents), len(discovery.containers), len(discovery.deleted))
            expansion = Expansion(discovery.containers, origin, url, options.batch_size, options.force,
                                  options.settle_seconds, discovery.shadowed)
            numbered = enumerate(chain(_batches(discovery.documents, options.batch_size), expansion.batches()), start=1)
            extract_options = {
                "source": origin, "max_bytes": options.max_bytes, "settle_seconds": options.settle_seconds,
                "max_seconds": options.max_seconds,
            }
            parallelism = max(options.workers, 2) if options.dask_address else options.workers
            for number, batch in process(numbered, total, configured, account, runner, parallelism, extract_options):
                batch = run(dedupe_task, f"dedupe[{number}/{total}]", batch, url)
                batch = run(store_task, f"store[{number}/{total}]", batch, url, run_id, flow_run_id)
                report.counts.update(batch.counts)
                settled = expansion.settled(batch)
                if settled:
                    began = time.perf_counter()
                    label = f"store-containers[{number}/{total}]"
                    deleted = configured(store_settlements_task, label)(settled, url, run_id, flow_run_id)
                    account(store_settlements_task, began, 1, len(settled))
                    report.counts["deleted"] += deleted
                progress.advance(min(number, total))
                logger.info("batch %d/%d stored", number, total)
            if discovery.deleted or discovery.vanished_containers:
                began = time.perf_counter()
                deleted = configured(store_deletions_task, "store-deletions")(
                    discovery.deleted, url, run_id, flow_run_id, discovery.vanished_containers
                )
                account(store_deletions_task, began, 1, len(discovery.deleted))
                report.counts["deleted"] += deleted
            status = RunStatus.COMPLETED
        finally:
            report.elapsed = time.perf_counter() - started
            report.rejected = runs.end(url, run_id, status, report.as_dict()["outcomes"])
        publish(report)
    return report.as_dict()
