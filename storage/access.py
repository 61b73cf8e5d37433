"""Read-only views of the store for the command line, each in its own session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from storage import migrate, near_index, reads, runs
from storage.session import session_scope


def export_records(url: str, all_versions: bool = False) -> Iterator[dict[str, Any]]:
    migrate.upgrade(url)
    with session_scope(url) as session:
        yield from reads.export_records(session, all_versions)


def history(url: str, key: str) -> list[dict[str, Any]]:
    migrate.upgrade(url)
    with session_scope(url) as session:
        return reads.history(session, key)


def version_of(url: str, key: str, version: int | None = None) -> dict[str, Any] | None:
    migrate.upgrade(url)
    with session_scope(url) as session:
        return reads.version_of(session, key, version)


def ingestion_runs(url: str) -> list[dict[str, Any]]:
    migrate.upgrade(url)
    with session_scope(url) as session:
        return runs.ingestion_runs(session)


def near_duplicate_clusters(url: str) -> Iterator[near_index.Cluster]:
    migrate.upgrade(url)
    with session_scope(url) as session:
        yield from near_index.clusters(session)
