"""Migrations, concurrent writers and parallel stages (issue: PostgreSQL and scale-out)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flows.cli import main
from flows.ingest import ingest
from storage import migrate, queries
from storage.access import export_records
from storage.session import session_scope
from tasks.document import Document
from tests.helpers import comparable, make_corpus

def test_upgrade_from_first_migration_keeps_rows(db_url: str) -> None:
    migrate.upgrade(db_url, "0001")
    assert migrate.current(db_url) == "0001"
    with session_scope(db_url) as session:
        run_id = queries.start_run(session, "run-1", "/src", datetime.now(UTC))
        doc = Document(key="a.txt", path="/src/a.txt", text="kept across upgrades", content_hash="h")
        queries.write_batch(session, [doc], run_id, "run-1", datetime.now(UTC))

    migrate.upgrade(db_url)

    assert migrate.current(db_url) == migrate.head()
    [record] = list(export_records(db_url))
    assert record["key"] == "a.txt" and record["text"] == "kept across upgrades"


def test_db_commands(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current", "--db", sqlite_url]) == 0
    assert "empty" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", sqlite_url]) == 0
    assert main(["db", "current", "--db", sqlite_url]) == 0
    assert "up to date" in capsys.readouterr().out


def test_two_concurrent_ingests_on_postgres(tmp_path: Path, postgres_url: str, api_env: dict[str, str]) -> None:
    source = make_corpus(tmp_path / "src", 400)
    command = [sys.executable, "-m", "flows.cli", "ingest", "--source", str(source), "--db", postgres_url, "--batch-size", "50"]
    runs = [subprocess.Popen(command, env=api_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], results

    records = comparable(postgres_url)
    assert len(records) == 401
    assert {r["version"] for r in records} == {1}
    assert len({r["key"] for r in records}) == 401
    assert {r["key"]: r["duplicate_of"] for r in records}["zz-copies/copy.txt"] == "part3/doc0003.txt"


@pytest.fixture(scope="module")
def dask_address() -> Any:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_results_are_the_same_whatever_the_parallelism(tmp_path: Path, dask_address: str) -> None:
    source = make_corpus(tmp_path / "src", 120)
    exports = []
    for name, workers, address in [("one", 1, None), ("pool", 2, None), ("dask", 2, dask_address)]:
        url = f"sqlite:///{tmp_path / name}.db"
        report = ingest(source=str(source), db=url, batch_size=25, workers=workers, dask_address=address)
        assert report["outcomes"]["new"] == 121
        exports.append(comparable(url))
    assert exports[0] == exports[1] == exports[2]
