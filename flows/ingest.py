"""The `ingest` flow: discover → extract → clean → detect language → dedupe → store.

Each stage is one task run per batch of documents, so a run over 10,000 files makes
tens of task runs rather than tens of thousands (a task run costs milliseconds).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import Task, flow, get_run_logger, runtime

from flows.report import RunReport
from flows.settings import Settings
from storage import migrate, runs
from storage.session import display_url
from tasks.clean import clean_task
from tasks.dedupe import dedupe_task
from tasks.discover import discover_task, extension_set
from tasks.document import Batch, Document
from tasks.extract import DEFAULT_MAX_BYTES, extract_task
from tasks.language import detect_language_task
from tasks.store import store_deletions_task, store_task

DEFAULT_BATCH_SIZE = 250


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
    retries: int = 2,
    retry_delay_seconds: float = 2.0,
    extensions: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """Ingest the source folder once and return the run report.

    `extensions` lists the file extensions to ingest (`""` for files without one, whose
    first bytes decide between HTML, text and rejection); `None` means .txt .text .md
    .markdown .html .htm .xhtml and extension-less files. Files with other extensions
    are not read at all. Narrowing the list makes previously stored files look deleted.
    `max_bytes` rejects larger files without reading them.
    """
    started = time.perf_counter()
    settings = Settings.resolve(source, db)
    url = settings.database_url
    logger = get_run_logger()
    flow_run_id = str(runtime.flow_run.id) if runtime.flow_run.id else None
    report = RunReport(source=str(settings.source), database_url=display_url(url), flow_run_id=flow_run_id)

    def run(stage: Task[..., Any], label: str, *args: Any) -> Any:
        configured = stage.with_options(task_run_name=label, retries=retries, retry_delay_seconds=retry_delay_seconds)
        began = time.perf_counter()
        result = configured(*args)
        report.stage_seconds[stage.name] += time.perf_counter() - began
        return result

    migrate.upgrade(url)
    run_id = runs.begin(url, flow_run_id, str(settings.source))
    status = "failed"
    try:
        discovery = run(discover_task, "discover", settings.source, url, force, extension_set(extensions))
        report.counts["unchanged"] += discovery.unchanged
        total = -(-len(discovery.documents) // batch_size)
        logger.info("%d files found, %d to read, %d deleted", discovery.seen, len(discovery.documents), len(discovery.deleted))
        for number, documents in enumerate(_batches(discovery.documents, batch_size), start=1):
            tag = f"[{number}/{total}]"
            batch = run(extract_task, f"extract{tag}", Batch(documents), max_bytes)
            batch = run(clean_task, f"clean{tag}", batch)
            batch = run(detect_language_task, f"detect-language{tag}", batch)
            batch = run(dedupe_task, f"dedupe{tag}", batch, url)
            batch = run(store_task, f"store{tag}", batch, url, run_id, flow_run_id)
            report.counts.update(batch.counts)
            logger.info("batch %d/%d stored", number, total)
        if discovery.deleted:
            report.counts["deleted"] += run(store_deletions_task, "store-deletions", discovery.deleted, url, run_id, flow_run_id)
        status = "completed"
    finally:
        report.elapsed = time.perf_counter() - started
        report.rejected = runs.end(url, run_id, status, report.as_dict()["outcomes"])
    return report.as_dict()
