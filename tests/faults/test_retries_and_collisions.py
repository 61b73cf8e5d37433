"""Retries that repeat work, and runs that collide, leave the store as one clean run would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tasks.store
from flows.ingest import ingest
from flows.locks import ensure_source_limit
from storage import versions as real_versions
from storage.access import ingestion_runs
from tests.helpers import comparable, make_corpus


class CommitThenFail:
    """Stands in for `storage.versions` in the store stage: the first write commits, then the task fails.

    That is the worst case for a retry: the work is in the store, but Prefect saw an error.
    """

    def __init__(self) -> None:
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(real_versions, name)

    def write_batch(self, session: Any, *args: Any) -> Any:
        outcomes = real_versions.write_batch(session, *args)
        if not self.failed:
            self.failed = True
            session.commit()
            raise ConnectionError("connection lost after the commit")
        return outcomes


def test_a_store_retried_after_its_commit_adds_nothing(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_corpus(tmp_path / "src", 120)
    flaky = CommitThenFail()
    monkeypatch.setattr(tasks.store, "versions", flaky)

    ingest(source=str(source), db=sqlite_url, batch_size=50, retries=2, retry_delay_seconds=0)

    assert flaky.failed
    records = comparable(sqlite_url)
    assert len(records) == 121 and {r["version"] for r in records} == {1}


def _run_all(commands: list[list[str]], env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    started = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    outputs = [p.communicate(timeout=300) for p in started]
    return [subprocess.CompletedProcess(c, p.returncode, o, e) for c, p, (o, e) in zip(commands, started, outputs)]


def _ingest_command(source: Path, url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "flows.cli", *extra, "--source", str(source), "--db", url]


def test_colliding_runs_take_turns_under_the_source_limit(
    tmp_path: Path, sqlite_url: str, api_env: dict[str, str]
) -> None:
    source = make_corpus(tmp_path / "src", 600)
    ensure_source_limit(source.resolve())
    commands = [
        _ingest_command(source, sqlite_url, "ingest", "--batch-size", "50"),
        _ingest_command(source, sqlite_url, "ingest", "--force"),
        _ingest_command(source, sqlite_url, "ingest", "--batch-size", "100"),
    ]
    results = _run_all(commands, api_env)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]

    spans = sorted((run["started_at"], run["finished_at"]) for run in ingestion_runs(sqlite_url))
    assert len(spans) == 3
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:])), spans
    records = comparable(sqlite_url)
    assert len(records) == 601 and {r["version"] for r in records} == {1}


def test_colliding_runs_without_a_limit_stay_consistent(tmp_path: Path, db_url: str, api_env: dict[str, str]) -> None:
    source = make_corpus(tmp_path / "src", 300)
    commands = [_ingest_command(source, db_url, "ingest", "--batch-size", "40") for _ in range(3)]
    results = _run_all(commands, api_env)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    records = comparable(db_url)
    assert len(records) == 301 and {r["version"] for r in records} == {1}
