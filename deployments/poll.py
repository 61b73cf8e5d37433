"""Watch a remote source by polling its listing, since object stores have no inotify.

Each poll streams the listing into one digest (`RemoteSource.listing_digest`: keys and
fingerprints, no content read); a digest that differs from the previous poll's announces
a change. The first poll only sets the baseline: the scheduled deployment covers what
was there before `serve` started.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from tasks.sources import SourceUnavailable
from tasks.sources.remote import RemoteSource

logger = logging.getLogger("seedflow.poll")

DEFAULT_POLL_SECONDS = 60.0


def poll_source(
    source: RemoteSource,
    extensions: frozenset[str],
    on_change: Callable[[], None],
    stop: threading.Event,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
) -> None:
    """Call `on_change` after each poll whose listing differs from the last, until `stop` is set."""
    last: str | None = None
    while not stop.wait(0 if last is None else poll_seconds):
        try:
            digest = source.listing_digest(extensions)
        except SourceUnavailable as error:
            logger.warning("%s", error)
            continue
        if last is not None and digest != last:
            logger.info("listing of %s changed: ingest requested", source.display)
            on_change()
        last = digest
