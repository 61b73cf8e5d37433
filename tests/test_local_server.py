"""The seedflow-local Prefect server: started by the first ingest, reused, managed by `seedflow server`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from flows.server import LocalServer, _free_port
from storage import migrate
from tests.conftest import ROOT

BIN = Path(sys.executable).parent
# Loaded for `ingest` only: a read of the store or a help text must start at once.
HEAVY = ("prefect", "trafilatura", "lxml", "langdetect", "htmldate", "justext", "tasks.extract", "tasks.formats")


@pytest.mark.parametrize(
    "argv", [["export"], ["show", "a.txt"], ["history", "a.txt"], ["--help"], ["ingest", "--help"]], ids=" ".join
)
def test_reads_and_help_import_neither_prefect_nor_the_extraction_stack(argv: list[str], sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    store = [] if "--help" in argv else ["--db", sqlite_url]
    script = (
        "import sys\n"
        "from flows.cli import main\n"
        "try:\n"
        f"    main({[*argv, *store]!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED', ' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m.startswith({HEAVY!r}))))"
    )
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    loaded = found.stdout.rsplit("LOADED", 1)[1].split()
    assert loaded == [], f"seedflow {' '.join(argv)} imported {loaded}"


def _seedflow(env: dict[str, str], cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "seedflow"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_ingest_starts_the_local_server_reuses_it_and_server_stop_ends_it(source: Path, tmp_path: Path) -> None:
    port = _free_port()
    work = tmp_path / "checkout"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_UI_API_URL", "SEEDFLOW_EPHEMERAL")}
    env |= {"SEEDFLOW_SERVER_PORT": str(port), "PREFECT_HOME": str(tmp_path / "client-home")}
    local = LocalServer(home=work / ".seedflow" / "prefect", port=port)
    try:
        assert _seedflow(env, work, "server", "status").returncode == 1

        first = _seedflow(env, work, "ingest", "--source", str(source), timeout=400)
        assert first.returncode == 0, first.stderr
        last = first.stdout.strip().splitlines()[-1]
        link = re.fullmatch(rf"run: (http://127\.0\.0\.1:{port}/runs/flow-run/([0-9a-f-]+))", last.strip())
        assert link, first.stdout
        run = httpx.get(f"{local.api_url}/flow_runs/{link.group(2)}", timeout=10).json()
        assert run["state_type"] == "COMPLETED"
        artifacts = httpx.post(
            f"{local.api_url}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}, timeout=10
        ).json()
        assert "ingest-summary" in {a["key"] for a in artifacts}
        # The UI asks the server where its API is: on a port other than 4200 it must be told.
        assert httpx.get(f"{local.ui_url}/ui-settings", timeout=10).json()["api_url"] == local.api_url

        status = _seedflow(env, work, "server", "status")
        assert status.returncode == 0 and f"up at {local.ui_url}" in status.stdout and "started by seedflow" in status.stdout
        pid = local.pid()

        second = _seedflow(env, work, "ingest", "--source", str(source), timeout=200)
        assert second.returncode == 0, second.stderr
        assert "unchanged 1" in second.stdout and f":{port}/runs/flow-run/" in second.stdout
        assert local.pid() == pid, "the second ingest started another server"

        stopped = _seedflow(env, work, "server", "stop")
        assert stopped.returncode == 0 and "stopped" in stopped.stdout
        assert not local.up() and local.pid() is None
        assert _seedflow(env, work, "server", "status").returncode == 1
    finally:
        local.stop()


def test_ephemeral_keeps_the_temporary_api(source: Path, tmp_path: Path, sqlite_url: str) -> None:
    # A Prefect home of its own: the temporary API's database in ~/.prefect may have been
    # migrated by another Prefect version on this machine.
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL",)} | {
        "SEEDFLOW_EPHEMERAL": "1", "PREFECT_HOME": str(tmp_path / "prefect-home"),
    }
    done = _seedflow(env, tmp_path, "ingest", "--source", str(source), "--db", sqlite_url, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "run: " not in done.stdout
    assert not (tmp_path / ".seedflow" / "prefect").exists()
