"""The `seedflow` command line: the contract other tools rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from flows.cli import main
from storage import migrate
from storage.session import display_url

CONTRACT = {
    "key", "version", "status", "title", "published", "language", "language_score", "text",
    "content_hash", "duplicate_of", "near_duplicate_of", "error", "ingested_at", "flow_run_id",
}


def test_ingest_then_export_json_lines(source: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--source", str(source), "--db", sqlite_url]) == 0
    summary = capsys.readouterr().out
    assert "new 1" in summary and "languages: en 1" in summary
    assert "Traceback" not in summary

    assert main(["export", "--db", sqlite_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 1
    assert CONTRACT <= set(records[0])


def test_export_all_versions(source: Path, sqlite_url: str, seed_key: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["ingest", "--source", str(source), "--db", sqlite_url])
    (source / seed_key).write_text("date 2025-01-23\nA different story entirely, told in English.\n", encoding="utf-8")
    main(["ingest", "--source", str(source), "--db", sqlite_url])
    capsys.readouterr()

    main(["export", "--db", sqlite_url, "--all-versions"])
    versions = [json.loads(line)["version"] for line in capsys.readouterr().out.splitlines()]
    assert versions == [1, 2]
    main(["export", "--db", sqlite_url])
    assert [json.loads(line)["published"] for line in capsys.readouterr().out.splitlines()] == ["2025-01-23"]


def test_settings_come_from_the_environment(
    source: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEEDFLOW_SOURCE", str(source))
    monkeypatch.setenv("SEEDFLOW_DATABASE_URL", sqlite_url)
    assert main(["ingest"]) == 0
    assert str(source) in capsys.readouterr().out
    assert main(["history", next(p.name for p in source.iterdir())]) == 0
    assert capsys.readouterr().out.startswith("v1")


def test_missing_source_fails_with_one_line(tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--source", str(tmp_path / "nowhere"), "--db", sqlite_url]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("seedflow ingest failed:") and "nowhere" in error
    assert "\n" not in error


def test_show_unknown_key(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--db", sqlite_url]) == 0
    assert main(["show", "nope.txt", "--db", sqlite_url]) == 1
    assert "nope.txt" in capsys.readouterr().err


READS = [["export"], ["show", "a.txt"], ["history", "a.txt"], ["duplicates"]]


@pytest.mark.parametrize("read", READS, ids=lambda read: read[0])
def test_reading_a_missing_store_creates_nothing(
    read: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for url in ("sqlite:///typo.db", f"sqlite:///{tmp_path / 'no' / 'such' / 'typo.db'}"):
        assert main([*read, "--db", url]) == 1
        captured = capsys.readouterr()
        assert captured.err == f"seedflow {read[0]}: no seedflow store at {url}\n"
        assert captured.out == ""
    assert list(tmp_path.iterdir()) == [], "a read created a file or folder"


def test_reading_an_empty_postgres_database_migrates_nothing(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for read in READS:
        assert main([*read, "--db", postgres_url]) == 1
        assert capsys.readouterr().err == f"seedflow {read[0]}: no seedflow store at {display_url(postgres_url)}\n"
    engine = create_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    missing = make_url(postgres_url).set(database="seedflow_no_such_database").render_as_string(hide_password=False)
    assert main(["export", "--db", missing]) == 1
    assert capsys.readouterr().err == f"seedflow export: no seedflow store at {display_url(missing)}\n"


def test_reading_an_older_store_asks_for_an_upgrade(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    migrate.upgrade(db_url, "0001")
    for read in READS:
        assert main([*read, "--db", db_url]) == 1
        error = capsys.readouterr().err
        assert error.startswith(f"seedflow {read[0]}: ") and error.count("\n") == 1
        assert "store is at revision 0001, run `seedflow db upgrade`" in error
    assert migrate.current(db_url) == "0001", "a read migrated the store"

    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert main(["export", "--db", db_url]) == 0
