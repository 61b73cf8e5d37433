"""Real servers on 127.0.0.1 for the remote-source tests: moto's S3 server and an SFTP server.

The fixtures that start them for a test session are in fixtures.py; the benchmark
starts moto the same way through `start_moto`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})')
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "seedflow-test-key",
    "AWS_SECRET_ACCESS_KEY": "seedflow-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class MotoServer:
    """A running `moto_server`; its request log is the record of what clients asked for."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def mark(self) -> int:
        return self.log.stat().st_size

    def requests_since(self, mark: int) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request logged after `mark`."""
        with self.log.open("rb") as handle:
            handle.seek(mark)
            text = handle.read().decode("utf-8", "replace")
        return [(m[1], m[2], int(m[3])) for m in REQUEST_LINE.finditer(text)]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_moto(log: Path, env: dict[str, str] | None = None) -> MotoServer:
    """`moto_server` on a free loopback port, ready to answer."""
    port = free_port()
    executable = Path(sys.executable).with_name("moto_server")
    handle = log.open("wb")
    process = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)],
        stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )
    handle.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2).close()
            return MotoServer(process, url, log)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto_server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)


def upload_tree(s3, folder: Path, bucket: str, prefix: str) -> None:  # type: ignore[no-untyped-def]
    """Every file below `folder` into `bucket` under `prefix`, keys as relative paths."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = f"{prefix}/{path.relative_to(folder).as_posix()}".lstrip("/")
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())


@dataclass
class SFTPServer:
    process: subprocess.Popen[bytes]
    port: int
    root: Path
    log: Path
    client_key: str
    known_hosts_line: str

    def opened_since(self, mark: int) -> list[str]:
        with self.log.open("rb") as handle:
            handle.seek(mark)
            return [line[5:] for line in handle.read().decode().splitlines() if line.startswith("open ")]

    def mark(self) -> int:
        return self.log.stat().st_size
