"""End to end against a real `prefect server start`: serve, watch, re-ingest, artifacts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.server import local_server
from storage.access import version_of
from storage.errors import StoreNotReady

BIN = Path(sys.executable).parent


def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real Prefect server on a free loopback port, with its own PREFECT_HOME."""
    with local_server(tmp_path_factory.mktemp("prefect-home")) as env:
        yield env


def _api(env: dict[str, str], method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.request(method, f"{env['PREFECT_API_URL']}{path}", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def _flow_runs(env: dict[str, str]) -> list[dict[str, Any]]:
    return _api(env, "POST", "/flow_runs/filter", {"limit": 50})


def _completed(env: dict[str, str], tag: str) -> list[dict[str, Any]]:
    return [r for r in _flow_runs(env) if tag in r["tags"] and r["state_type"] == "COMPLETED"]


def _stored(db: str, key: str) -> dict[str, Any] | None:
    """The record once the first served run has created the store (reads never create it)."""
    try:
        return version_of(db, key)
    except StoreNotReady:
        return None


def test_serve_watch_reingest_and_artifacts(server: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "watched"
    source.mkdir()
    (source / "first.txt").write_text("date 2025-02-01\nThe first article of the watched folder, in English.\n")
    db = f"sqlite:///{tmp_path / 'store.db'}"
    serve = subprocess.Popen(
        [str(BIN / "seedflow"), "serve", "--source", str(source), "--db", db, "--interval", "3600"],
        env={**server, "PREFECT_RUNNER_POLL_FREQUENCY": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        names = _until(
            lambda: {d["name"] for d in _api(server, "POST", "/deployments/filter", {})} >= {"ingest", "watch", "reingest"},
            60, "the three deployments",
        )
        assert names
        scheduled = _until(lambda: [r for r in _flow_runs(server) if "scheduled" in r["tags"]], 60, "scheduled runs")
        assert {r["state_type"] for r in scheduled} <= {"SCHEDULED", "PENDING", "RUNNING", "COMPLETED"}
        time.sleep(2)
        dropped = time.monotonic()
        (source / "dropped.txt").write_text("Un article déposé dans le dossier surveillé, écrit en français.\n")
        record = _until(lambda: _stored(db, "dropped.txt"), 60, "the dropped file to be stored")
        latency = time.monotonic() - dropped
        print(f"\ndrop-to-store latency: {latency:.1f} s")
        assert record["language"] == "fr"
        watch_run = _until(lambda: _completed(server, "watch"), 30, "the watch run to complete")[0]
        assert watch_run["name"].startswith("ingest-watched-")

        run = subprocess.run(
            [str(BIN / "prefect"), "deployment", "run", "ingest/reingest", "--param", "force=true"],
            env=server, capture_output=True, text=True, timeout=60,
        )
        assert run.returncode == 0, run.stderr
        manual = _until(lambda: _completed(server, "manual"), 60, "the manual re-ingest to complete")[0]
        assert manual["parameters"]["force"] is True

        artifacts = _api(server, "POST", "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [manual["id"]]}}})
        by_key = {a["key"]: a for a in artifacts}
        assert {"ingest-summary", "ingest-stages", "ingest-progress"} <= set(by_key)
        assert "| unchanged | 2 |" in by_key["ingest-summary"]["data"]
        stages = {row["stage"] for row in json.loads(by_key["ingest-stages"]["data"])}
        assert {"discover", "extract", "clean", "detect-language", "dedupe", "store"} <= stages
        assert by_key["ingest-progress"]["data"] == 100.0
        tasks = _api(server, "POST", "/task_runs/filter", {"flow_runs": {"id": {"any_": [manual["id"]]}}})
        assert "detect-language[1/1]" in {t["name"] for t in tasks}
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            code = serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            code = None
        output = serve.stdout.read() if serve.stdout else ""
    assert code == 0, output
    assert "Traceback" not in output, output
