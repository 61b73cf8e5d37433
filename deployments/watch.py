"""Watch the source folder and announce changes as Prefect events.

watchfiles already groups the changes of one burst (its debounce); on top of that at most
one event is emitted per `min_gap` seconds, so copying in 1,000 files makes one or two
runs, not 1,000. Events show in the UI's event feed and start the `watch` deployment
through its trigger.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from prefect.events import emit_event
from watchfiles import watch

from deployments.events import CHANGED_EVENT

logger = logging.getLogger("seedflow.watch")


def _visible(path: str, root: Path) -> bool:
    """Hidden files and folders are not ingested, so their changes start nothing."""
    parts = Path(path).relative_to(root).parts
    return bool(parts) and not any(part.startswith(".") for part in parts)


def watch_source(
    root: Path, resource_id: str, stop: threading.Event, debounce_ms: int = 1000, min_gap: float = 3.0
) -> None:
    """Emit one `seedflow.source.changed` event per burst of changes until `stop` is set."""
    last = 0.0
    for changes in watch(root, debounce=debounce_ms, stop_event=stop, raise_interrupt=False):
        paths = sorted({p for _, p in changes if _visible(p, root)})
        if not paths:
            continue
        wait = last + min_gap - time.monotonic()
        if wait > 0 and stop.wait(wait):
            return
        last = time.monotonic()
        emit_event(
            event=CHANGED_EVENT,
            resource={"prefect.resource.id": resource_id, "prefect.resource.name": root.name},
            payload={"changed": len(paths), "sample": [str(Path(p).relative_to(root)) for p in paths[:20]]},
        )
        logger.info("%d change(s) under %s: ingest requested", len(paths), root)
