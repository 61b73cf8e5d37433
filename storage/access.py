"""Read-only views of the store for the command line, each in its own session.

Each first checks the store is there and at the newest schema (`migrate.require_current`,
raising a `storage.errors.StoreNotReady`), and reads through an engine that cannot create
a SQLite file: a mistyped `--db` is reported, not turned into an empty store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from storage import migrate, near_index, reads, runs
from storage.session import session_scope


def export_records(url: str, all_versions: bool = False) -> Iterator[dict[str, Any]]:
    migrate.require_current(url)
    return _export_records(url, all_versions)


def _export_records(url: str, all_versions: bool) -> Iterator[dict[str, Any]]:
    with session_scope(url, create=False) as session:
        yield from reads.export_records(session, all_versions)


def history(url: str, key: str) -> list[dict[str, Any]]:
    migrate.require_current(url)
    with session_scope(url, create=False) as session:
        return reads.history(session, key)


def version_of(url: str, key: str, version: int | None = None) -> dict[str, Any] | None:
    migrate.require_current(url)
    with session_scope(url, create=False) as session:
        return reads.version_of(session, key, version)


def ingestion_runs(url: str) -> list[dict[str, Any]]:
    migrate.require_current(url)
    with session_scope(url, create=False) as session:
        return runs.ingestion_runs(session)


def near_duplicate_clusters(url: str) -> Iterator[near_index.Cluster]:
    migrate.require_current(url)
    return _near_duplicate_clusters(url)


def _near_duplicate_clusters(url: str) -> Iterator[near_index.Cluster]:
    with session_scope(url, create=False) as session:
        yield from near_index.clusters(session)
