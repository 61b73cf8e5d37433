"""`seedflow serve`: serve the deployments and watch the source folder, in one process."""

from __future__ import annotations

import threading

from prefect import serve as prefect_serve

from deployments.definitions import Schedule, build
from deployments.events import source_resource_id
from deployments.watch import watch_source
from flows.locks import ensure_source_limit
from flows.settings import Settings


def serve(settings: Settings, schedule: Schedule) -> None:
    """Run until Ctrl-C or SIGTERM; the runner stops first, then the watcher."""
    ensure_source_limit(settings.source)
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch_source,
        args=(settings.source, source_resource_id(settings.source), stop),
        name="seedflow-watch",
        daemon=True,
    )
    watcher.start()
    try:
        prefect_serve(*build(settings, schedule), print_starting_message=False)
    finally:
        stop.set()
        watcher.join(timeout=10)
