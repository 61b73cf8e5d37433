"""The `seedflow` command line: the contract other tools rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.cli import main

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
    assert main(["show", "nope.txt", "--db", sqlite_url]) == 1
    assert "nope.txt" in capsys.readouterr().err
