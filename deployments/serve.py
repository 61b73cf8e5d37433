"""`seedflow serve`: serve the deployments and watch the source, in one process.

A folder is watched through file-system events (`watch`); a bucket or other remote
source is polled (`poll`). Either way a change emits the event that starts `ingest/watch`.
"""

from __future__ import annotations

import threading
from pathlib import Path

from prefect import serve as prefect_serve
from prefect.events import emit_event

from deployments.definitions import Schedule, build
from deployments.events import CHANGED_EVENT, source_resource_id
from deployments.poll import DEFAULT_POLL_SECONDS, poll_source
from deployments.watch import watch_source
from flows.locks import ensure_source_limit
from flows.settings import Settings
from tasks.formats import DEFAULT_EXTENSIONS
from tasks.sources import is_url
from tasks.sources.remote import RemoteSource


def _watcher(settings: Settings, stop: threading.Event, poll_seconds: float) -> threading.Thread:
    resource_id = source_resource_id(settings.source)
    if not is_url(settings.source):
        return threading.Thread(
            target=watch_source, args=(Path(settings.source), resource_id, stop), name="seedflow-watch", daemon=True
        )
    remote = RemoteSource(settings.source)

    def announce() -> None:
        emit_event(event=CHANGED_EVENT, resource={"prefect.resource.id": resource_id, "prefect.resource.name": remote.display})

    return threading.Thread(
        target=poll_source,
        args=(remote, DEFAULT_EXTENSIONS, announce, stop, poll_seconds),
        name="seedflow-poll",
        daemon=True,
    )


def serve(settings: Settings, schedule: Schedule, poll_seconds: float | None = None) -> None:
    """Run until Ctrl-C or SIGTERM; the runner stops first, then the watcher."""
    ensure_source_limit(settings.source)
    stop = threading.Event()
    watcher = _watcher(settings, stop, poll_seconds or DEFAULT_POLL_SECONDS)
    watcher.start()
    try:
        prefect_serve(*build(settings, schedule), print_starting_message=False)
    finally:
        stop.set()
        watcher.join(timeout=10)
