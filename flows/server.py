"""Which Prefect server a command talks to, and the seedflow-local one it may start.

A one-off `seedflow ingest` reports to a server that outlives it (PREFECT_API_URL, else
the seedflow-local server, started on first use), so its run stays in the UI and the
next command does not pay for a temporary API. (The temporary API, SEEDFLOW_EPHEMERAL=1,
has no scheduler either.) Also a throwaway server for the end-to-end tests and the
benchmark, which must see seedflow as it runs when deployed.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx


def api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def reachable(url: str | None, timeout: float = 3.0) -> bool:
    if not url:
        return False
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def flow_run_page(flow_run_id: str) -> str:
    """The UI page of a flow run, from PREFECT_UI_URL (derived from the API URL by Prefect)."""
    from prefect.settings import PREFECT_UI_URL

    return f"{(PREFECT_UI_URL.value() or '').rstrip('/')}/runs/flow-run/{flow_run_id}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def local_server(home: Path, timeout: float = 120.0) -> Iterator[dict[str, str]]:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME.

    Yields the environment that points a process at it (PREFECT_HOME, PREFECT_API_URL);
    the server is stopped with SIGINT, as Ctrl-C would, when the block ends.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = str(_free_port())
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    }
    with open(home / "server.log", "w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", port],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + timeout
            while not reachable(api, timeout=2):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the Prefect server did not come up; see {home / 'server.log'}")
                time.sleep(0.3)
            yield env
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


# --- The seedflow-local server: one Prefect server per checkout, outliving each command ---

PORT_VARIABLE = "SEEDFLOW_SERVER_PORT"
EPHEMERAL_VARIABLE = "SEEDFLOW_EPHEMERAL"
DEFAULT_PORT = 4200
# Prefect's own PID file name, so `PREFECT_HOME=.seedflow/prefect prefect server stop` stops it too.
PID_FILE = "server.pid"


class ServerDidNotStart(RuntimeError):
    pass


@dataclass(frozen=True)
class LocalServer:
    """The Prefect server `make server` runs: state under ./.seedflow/prefect, on 127.0.0.1."""

    home: Path
    port: int = DEFAULT_PORT

    @classmethod
    def configured(cls) -> LocalServer:
        from flows.settings import DEFAULT_STATE_DIR

        return cls(home=(DEFAULT_STATE_DIR / "prefect").resolve(), port=int(os.environ.get(PORT_VARIABLE, DEFAULT_PORT)))

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    def up(self) -> bool:
        return reachable(self.api_url, timeout=2)

    def pid(self) -> int | None:
        """The process seedflow started, if it is still running (a stale PID file is removed)."""
        path = self.home / PID_FILE
        try:
            pid = int(path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        if _running_prefect(pid):
            return pid
        path.unlink(missing_ok=True)
        return None

    def environment(self) -> dict[str, str]:
        """What points a process at this server (the UI needs its API address on any port but 4200)."""
        return {"PREFECT_API_URL": self.api_url, "PREFECT_UI_API_URL": self.api_url}

    def start(self, timeout: float = 300.0) -> None:
        """Start the server in the background and wait until it answers; one starter at a time.

        It answers after ~15 s on an idle machine; a first start with a fresh state folder
        (Prefect creates its database) took most of a minute on a shared, loaded one.

        `prefect server start` runs in its own session with its output in server.log, so it
        neither dies with this command's terminal nor blocks on a pipe nobody reads (what
        `prefect server start --background` does). The PID file is Prefect's own.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.up():
                return
            env = {
                **os.environ,
                **self.environment(),
                "PREFECT_HOME": str(self.home),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
            }
            command = [_prefect(), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)]
            with open(self.log, "a") as log:
                process = subprocess.Popen(
                    command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            (self.home / PID_FILE).write_text(str(process.pid))
            deadline = time.monotonic() + timeout
            while not self.up():
                if process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise ServerDidNotStart(f"the local Prefect server did not start on port {self.port}; see {self.log}")
                time.sleep(0.3)

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the server seedflow started (False when there was none to stop)."""
        pid = self.pid()
        if pid is None:
            return False
        with suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _running_prefect(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _running_prefect(pid):
                os.killpg(pid, signal.SIGKILL)
        (self.home / PID_FILE).unlink(missing_ok=True)
        return True


def _prefect() -> str:
    return str(Path(sys.executable).parent / "prefect")


def _running_prefect(pid: int) -> bool:
    """Is `pid` alive, a Prefect process, and leading its own process group (as started here)?"""
    try:
        os.waitpid(pid, os.WNOHANG)  # reaps it if it was this process's child and has exited
    except ChildProcessError:
        pass
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        leader = os.getpgid(pid) == pid
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return b"prefect" in cmdline and state != "Z" and leader


def connect_for_run() -> str | None:
    """Point this process at the API a one-off run reports to, before Prefect is imported.

    PREFECT_API_URL when set; else, unless SEEDFLOW_EPHEMERAL=1 asks for Prefect's
    temporary API (gone with the command, and its runs with it), the seedflow-local
    server, started in the background if it is not up and left running for the next
    command. Returns the API URL, or None for the temporary API.
    """
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    if os.environ.get(EPHEMERAL_VARIABLE, "") not in ("", "0"):
        return None
    server = LocalServer.configured()
    if not server.up():
        server.start()
    os.environ.update(server.environment())
    return server.api_url


def deployment_served(name: str) -> bool:
    """Is a runner (`seedflow serve`) polling for this deployment's runs right now?"""
    from prefect import get_client
    from prefect.client.schemas.objects import DeploymentStatus
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            return client.read_deployment_by_name(name).status == DeploymentStatus.READY
        except ObjectNotFound:
            return False
