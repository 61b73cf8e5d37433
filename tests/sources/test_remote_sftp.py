"""RemoteSource against a real SFTP server (asyncssh's) on 127.0.0.1, credentials from ~/.ssh."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("sshfs")

from tasks.formats import DEFAULT_EXTENSIONS  # noqa: E402
from tasks.sources.local import LocalFolder  # noqa: E402
from tasks.sources.base import EntryChanging, ReadError, SourceUnavailable  # noqa: E402
from tasks.sources.remote import RemoteSource  # noqa: E402
from tests.faults.proxy import CuttableProxy  # noqa: E402
from tests.sources.servers import SFTPServer, free_port  # noqa: E402
from tests.sources.test_remote_s3 import TREE, make_tree  # noqa: E402

pytest_plugins = ["tests.sources.fixtures"]  # the SFTP server and ~/.ssh fixtures

SECOND = 1_000_000_000


@pytest.fixture
def corpus(sftp_server: SFTPServer, ssh_home: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    """The tree in a folder the server serves, with whole-second mtimes (SFTP v3 carries
    seconds), and the URL it has there."""
    name = request.node.name[:40]
    folder = make_tree(sftp_server.root / name)
    for index, path in enumerate(sorted(folder.rglob("*"))):
        if path.is_file():
            os.utime(path, ns=(1_700_000_000 * SECOND + index * SECOND,) * 2)
    yield folder, f"sftp://tester@127.0.0.1:{sftp_server.port}/{name}"
    shutil.rmtree(folder)


def test_listing_is_identical_to_the_same_folder_read_locally(corpus: tuple[Path, str]) -> None:
    folder, url = corpus
    remote = [(e.key, e.size, e.mtime_ns) for e in RemoteSource(url).entries(DEFAULT_EXTENSIONS)]
    local = [(d.key, d.size, d.mtime_ns) for d in LocalFolder(folder).entries(DEFAULT_EXTENSIONS)]
    assert remote == local
    assert {key for key, _, _ in remote} == {"a.txt", "README", "docs/b.html", "docs/deep/c.md", "docs/deep/\u00e9t\u00e9.txt"}


def test_unchanged_files_are_never_opened_and_a_read_opens_one(sftp_server: SFTPServer, corpus: tuple[Path, str]) -> None:
    url = corpus[1]
    source = RemoteSource(url)
    mark = sftp_server.mark()
    entries = {e.key: e for e in source.entries(DEFAULT_EXTENSIONS)}
    assert sftp_server.opened_since(mark) == []
    snapshot = source.read(entries["docs/b.html"], max_bytes=1000)
    assert snapshot.data == TREE["docs/b.html"] and snapshot.mtime_ns == entries["docs/b.html"].mtime_ns
    assert [path.rsplit("/", 1)[-1] for path in sftp_server.opened_since(mark)] == ["b.html"]


def test_changed_or_vanished_since_listing(corpus: tuple[Path, str]) -> None:
    folder, url = corpus
    source = RemoteSource(url)
    entries = {e.key: e for e in source.entries(DEFAULT_EXTENSIONS)}
    (folder / "a.txt").write_bytes(b"alpha, edited")
    with pytest.raises(EntryChanging, match="changed since it was listed"):
        source.read(entries["a.txt"], max_bytes=1000)
    (folder / "README").unlink()
    with pytest.raises(ReadError, match="^vanished: README was listed but is gone$"):
        source.read(entries["README"], max_bytes=1000)
    with pytest.raises(ReadError, match="file too large"):
        source.read(entries["docs/deep/c.md"], max_bytes=3)


def test_settle_seconds_defers_a_file_written_just_now(corpus: tuple[Path, str]) -> None:
    folder, url = corpus
    (folder / "fresh.txt").write_bytes(b"still being written?")
    source = RemoteSource(url)
    [entry] = [e for e in source.entries(DEFAULT_EXTENSIONS) if e.key == "fresh.txt"]
    with pytest.raises(EntryChanging, match="modified less than"):
        source.read(entry, max_bytes=1000, settle_seconds=60)
    assert source.read(entry, max_bytes=1000).data == b"still being written?"


def test_read_many_over_sftp(corpus: tuple[Path, str]) -> None:
    url = corpus[1]
    source = RemoteSource(url)
    outcomes = {e.key: o.data for e, o in source.read_many(source.entries(DEFAULT_EXTENSIONS), 1000, concurrency=4)}
    assert outcomes == {key: TREE[key] for key in outcomes}
    assert len(outcomes) == 5


def one_line_failure(source: RemoteSource) -> str:
    with pytest.raises(SourceUnavailable) as caught:
        list(source.entries(DEFAULT_EXTENSIONS))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"cannot list {source.display}: ")
    return message


def test_unlistable_sftp_sources_fail_in_one_line(sftp_server: SFTPServer, ssh_home: Path) -> None:
    port = sftp_server.port
    assert one_line_failure(RemoteSource(f"sftp://tester@127.0.0.1:{port}/no-such-folder")).endswith("no such folder")
    message = one_line_failure(RemoteSource(f"sftp://tester:pw-in-url@127.0.0.1:{free_port()}/x"))
    assert "pw-in-url" not in message
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    assert "Host key" in one_line_failure(RemoteSource(f"sftp://tester@127.0.0.1:{port}/"))
    (ssh_home / ".ssh" / "known_hosts").write_text(sftp_server.known_hosts_line + "\n")
    (ssh_home / ".ssh" / "id_ed25519").unlink()
    assert "Permission denied" in one_line_failure(RemoteSource(f"sftp://tester@127.0.0.1:{port}/"))


def test_a_dropped_connection_is_reconnected_inside_the_read(
    sftp_server: SFTPServer, ssh_home: Path, corpus: tuple[Path, str]
) -> None:
    """The SSH connection dies between listing and reading (a real TCP proxy cuts it);
    the read retries on a new connection."""
    folder, _ = corpus
    proxy = CuttableProxy("127.0.0.1", sftp_server.port)
    proxy.restore()
    key_line = sftp_server.known_hosts_line.split(" ", 1)[1]
    (ssh_home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{proxy.port} {key_line}\n")
    source = RemoteSource(f"sftp://tester@127.0.0.1:{proxy.port}/{folder.name}", backoff=0.05)
    entries = {e.key: e for e in source.entries(DEFAULT_EXTENSIONS)}
    proxy.cut()
    proxy.restore()
    assert source.read(entries["a.txt"], max_bytes=1000).data == TREE["a.txt"]
    proxy.cut()
