"""Is a Prefect server configured and up? (The temporary local API has no scheduler.)

Also a real local server for the end-to-end tests and the benchmark, which must see
seedflow as it runs when deployed: against `prefect server start`, not a temporary API.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
