"""Real servers on 127.0.0.1 for the remote-source tests: moto's S3 server and an SFTP server.

Test modules import the fixtures from here (`from tests.sources.servers import ...`).
The benchmark starts moto the same way through `start_moto`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One moto S3 server for the session; `AWS_ENDPOINT_URL` and dummy keys point clients at it."""
    server = start_moto(tmp_path_factory.mktemp("moto") / "requests.log")
    patch = pytest.MonkeyPatch()
    for name, value in {**DUMMY_AWS, "AWS_ENDPOINT_URL": server.url}.items():
        patch.setenv(name, value)
    patch.delenv("AWS_PROFILE", raising=False)
    patch.delenv("AWS_SESSION_TOKEN", raising=False)
    try:
        yield server
    finally:
        patch.undo()
        server.stop()


@pytest.fixture
def s3(moto: MotoServer):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client("s3", endpoint_url=moto.url)


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    """A new, empty bucket on the session's server."""
    name = f"seedflow-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


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


@pytest.fixture(scope="session")
def sftp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SFTPServer]:
    """asyncssh's SFTP server on a free loopback port, chrooted to a fresh folder, with a
    throw-away host key and one authorized client key."""
    asyncssh = pytest.importorskip("asyncssh")
    base = tmp_path_factory.mktemp("sftp")
    root = base / "root"
    root.mkdir()
    host_key, client_key = asyncssh.generate_private_key("ssh-ed25519"), asyncssh.generate_private_key("ssh-ed25519")
    host_key.write_private_key(str(base / "host_key"))
    client_key.write_public_key(str(base / "authorized_keys"))
    log = base / "server.log"
    log.touch()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("sftp_server.py")), str(root), str(base / "host_key"),
         str(base / "authorized_keys"), str(log)],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline() or 0)
    if not port:
        process.kill()
        raise RuntimeError("the SFTP server did not start")
    public_host_key = host_key.export_public_key().decode().strip()
    try:
        yield SFTPServer(process, port, root, log, client_key.export_private_key().decode(),
                         f"[127.0.0.1]:{port} {public_host_key}")
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def ssh_home(sftp_server: SFTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME whose ~/.ssh holds the client key and the server's host key: the standard
    places an SSH client takes credentials and host keys from."""
    home = tmp_path / "home"
    ssh = home / ".ssh"
    ssh.mkdir(parents=True)
    (ssh / "id_ed25519").write_text(sftp_server.client_key)
    (ssh / "id_ed25519").chmod(0o600)
    (ssh / "known_hosts").write_text(sftp_server.known_hosts_line + "\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return home
