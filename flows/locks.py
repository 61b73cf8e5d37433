"""At most one ingest per source folder at a time, through a Prefect global concurrency limit.

`seedflow serve` creates the limit (1 slot) for the folder it serves, so scheduled,
watch-triggered and manual runs queue behind each other. A lone `seedflow ingest` on the
temporary local API finds no limit and runs unhindered; should two runs still collide
(two servers, two direct CLI runs), the store's constraints keep it consistent.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_client
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound

# A crashed run's slot is freed when its lease runs out; keep that wait short.
LEASE_SECONDS = 60


def source_limit_name(source: str | os.PathLike[str]) -> str:
    """One limit per source: a folder's path or a URL, as `Settings.source` holds it."""
    digest = hashlib.sha256(os.fspath(source).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"seedflow-ingest-{digest}"


def ensure_source_limit(source: str | os.PathLike[str]) -> str:
    """Create (or reset to 1) the limit that serialises ingests of `source`."""
    name = source_limit_name(source)
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, limit=1)
    return name


def _limit_exists(name: str) -> bool:
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return False
    return True


@contextmanager
def one_ingest_per_source(source: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the source's slot for the whole run, where `seedflow serve` has set one up."""
    name = source_limit_name(source)
    if not _limit_exists(name):
        yield
        return
    with concurrency(name, occupy=1, strict=True, lease_duration=LEASE_SECONDS):
        yield
