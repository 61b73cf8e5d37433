"""Migrations, concurrent writers and parallel stages (issue: PostgreSQL and scale-out)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from flows.cli import main
from flows.ingest import ingest
from storage import migrate
from storage.access import export_records
from tests.helpers import comparable, make_corpus

def test_the_head_read_from_the_migration_files_is_alembics() -> None:
    assert migrate.newest_revision() == migrate.head()


def test_upgrade_from_first_migration_keeps_rows(db_url: str) -> None:
    migrate.upgrade(db_url, "0001")
    assert migrate.current(db_url) == "0001"
    # Rows as the first schema held them, written the way that schema's code wrote them.
    with create_engine(db_url).begin() as connection:
        now = datetime.now(UTC)
        connection.execute(
            text(
                "INSERT INTO documents (key, first_seen_at, current_version, status, content_hash, record_hash,"
                " size, mtime_ns, file_sha256, updated_at) VALUES ('a.txt', :now, 1, 'active', 'h', 'r', 20, 1, 's', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO document_versions (document_id, version, status, language, language_score, languages,"
                " text, content_hash, meta, size, mtime_ns, ingested_at) VALUES ((SELECT id FROM documents),"
                " 1, 'active', 'en', 1.0, '[]', 'kept across upgrades', 'h', '{}', 20, 1, :now)"
            ),
            {"now": now},
        )

    migrate.upgrade(db_url)

    assert migrate.current(db_url) == migrate.head()
    [record] = list(export_records(db_url))
    assert record["key"] == "a.txt" and record["text"] == "kept across upgrades"


def test_processes_migrating_one_empty_store_at_once_all_succeed(db_url: str) -> None:
    # Every first run migrates; several started together must take turns, not all
    # create the tables (the loser used to fail with "table documents already exists").
    script = "import sys; from storage import migrate; migrate.upgrade(sys.argv[1])"
    started = [
        subprocess.Popen([sys.executable, "-c", script, db_url], stderr=subprocess.PIPE, text=True) for _ in range(6)
    ]
    errors = [p.communicate(timeout=120)[1] for p in started]
    assert [p.returncode for p in started] == [0] * 6, errors
    assert migrate.current(db_url) == migrate.head()


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
