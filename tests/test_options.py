"""One options model for a run: its defaults are the flow's, the CLI's and the deployments'."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from pydantic import ValidationError

from flows.cli import main, parser
from flows.ingest import ingest
from flows.options import DEFAULTS, IngestOptions
from flows.settings import Settings


def test_the_flow_takes_every_option_with_the_models_default() -> None:
    parameters = inspect.signature(ingest.fn).parameters
    assert set(parameters) - {"source", "db"} == set(IngestOptions.model_fields)
    for name, field in IngestOptions.model_fields.items():
        expected = None if name == "settle_seconds" else getattr(DEFAULTS, name)
        assert parameters[name].default == expected, name
    assert (DEFAULTS.batch_size, DEFAULTS.max_bytes, DEFAULTS.max_seconds) == (250, 20 * 1024 * 1024, 60)


def test_settle_seconds_default_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDFLOW_SETTLE_SECONDS")
    assert IngestOptions().settle_seconds == 1.0
    monkeypatch.setenv("SEEDFLOW_SETTLE_SECONDS", "2.5")
    assert IngestOptions().settle_seconds == 2.5
    assert IngestOptions.given(settle_seconds=None).settle_seconds == 2.5
    assert IngestOptions.given(settle_seconds=0.0).settle_seconds == 0.0


def test_none_means_not_given_and_bad_values_are_rejected() -> None:
    assert IngestOptions.given(batch_size=None, force=None) == IngestOptions()
    with pytest.raises(ValidationError):
        IngestOptions(batch_size=0)
    with pytest.raises(ValidationError):
        IngestOptions(surprise=True)  # type: ignore[call-arg]


def test_cli_flags_default_to_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    args = parser().parse_args(["ingest"])
    assert all(getattr(args, name) is None for name in ("force", "batch_size", "max_bytes", "settle_seconds", "max_seconds"))
    with pytest.raises(SystemExit):
        parser().parse_args(["ingest", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "(default 250)" in shown and "(default 20 MB)" in shown and "(default 60)" in shown


def test_cli_rejects_an_invalid_option_in_one_line(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--db", sqlite_url, "--batch-size", "0"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("seedflow ingest: --batch-size:") and "\n" not in error


def test_settle_seconds_flag_reaches_the_run(source: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    (source / "fresh.txt").write_text("A sentence written just now, in plain English.\n", encoding="utf-8")
    assert main(["ingest", "--source", str(source), "--db", sqlite_url, "--settle-seconds", "600"]) == 0
    assert "deferred" in capsys.readouterr().out
    assert main(["ingest", "--source", str(source), "--db", sqlite_url]) == 0
    assert "deferred" not in capsys.readouterr().out


def test_deployments_carry_every_option(tmp_path: Path) -> None:
    from deployments.definitions import Schedule, build

    settings = Settings(source=tmp_path, database_url=f"sqlite:///{tmp_path / 'store.db'}")
    for deployment in build(settings, Schedule(), IngestOptions(batch_size=50)):
        assert deployment.parameters["batch_size"] == 50
        assert set(deployment.parameters) == {"source", "db", *IngestOptions.model_fields}
