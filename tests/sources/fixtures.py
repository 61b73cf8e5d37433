"""Session fixtures for the remote-source tests: moto's S3 server, an SFTP server, ~/.ssh.

Test modules load them with `pytest_plugins = ["tests.sources.fixtures"]`.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sources.servers import DUMMY_AWS, MotoServer, SFTPServer, start_moto


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
