"""The local folder as a source: what it lists, what it reads, and what it refuses."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest

from tasks.formats import DEFAULT_EXTENSIONS
from tasks.sources import EntryChanging, LocalFolder, ReadError, SourceUnavailable, open_source

STORY = b"The harbour reopened on Monday after three weeks of repairs to the old stone quay."


def keys(folder: LocalFolder, extensions: frozenset[str] = DEFAULT_EXTENSIONS) -> list[str]:
    return [entry.key for entry in folder.entries(extensions)]


def test_entries_come_with_fingerprints_in_a_stable_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_bytes(STORY)
    (tmp_path / "a.md").write_bytes(STORY[:10])
    (tmp_path / "sub" / "deep").mkdir(parents=True)
    (tmp_path / "sub" / "deep" / "c.html").write_bytes(b"<p>x</p>")
    (tmp_path / "sub" / "d.txt").write_bytes(b"d")
    (tmp_path / ".hidden.txt").write_bytes(b"x")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    entries = list(LocalFolder(tmp_path).entries(DEFAULT_EXTENSIONS))
    assert [e.key for e in entries] == ["a.md", "b.txt", "sub/d.txt", "sub/deep/c.html"]
    first = entries[1]
    status = os.stat(tmp_path / "b.txt")
    assert (first.location, first.size, first.mtime_ns, first.rejected) == (
        str(tmp_path / "b.txt"), len(STORY), status.st_mtime_ns, None
    )
    assert keys(LocalFolder(tmp_path), frozenset({".png"})) == ["image.png"]


def test_symlinks_never_escape_the_root_unless_asked(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_bytes(STORY)
    (root / "inside.txt").write_bytes(STORY)
    (root / "alias.txt").symlink_to(root / "inside.txt")
    (root / "escape.txt").symlink_to(outside / "secret.txt")
    (root / "linked-folder").symlink_to(outside, target_is_directory=True)
    outside_root = "symlink points outside the source root"
    rejected = {e.key: e.rejected for e in LocalFolder(root).entries(DEFAULT_EXTENSIONS)}
    # A linked folder is never descended; without an extension it is listed like a file.
    assert rejected == {"alias.txt": None, "escape.txt": outside_root, "inside.txt": None, "linked-folder": outside_root}
    followed = {e.key: e.rejected for e in LocalFolder(root, follow_outside_symlinks=True).entries(DEFAULT_EXTENSIONS)}
    assert followed == {"alias.txt": None, "escape.txt": None, "inside.txt": None, "linked-folder": None}
    with pytest.raises(ReadError, match=r"^not a regular file \(directory\)$"):
        LocalFolder(root, follow_outside_symlinks=True).read(next(LocalFolder(root).entries(frozenset({""}))), 1000)


def test_a_name_that_is_not_utf8_keeps_a_faithful_key_and_is_read(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.txt")
    (tmp_path / name).write_bytes(STORY)
    folder = LocalFolder(tmp_path)
    [entry] = folder.entries(DEFAULT_EXTENSIONS)
    assert entry.key == "caf\\xe9.txt"
    assert folder.read(entry, max_bytes=1000).data == STORY


def test_read_returns_bytes_with_the_fingerprint_they_belong_to(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(STORY)
    folder = LocalFolder(tmp_path)
    [entry] = folder.entries(DEFAULT_EXTENSIONS)
    snapshot = folder.read(entry, max_bytes=len(STORY))
    assert (snapshot.data, snapshot.size, snapshot.mtime_ns) == (STORY, entry.size, entry.mtime_ns)
    with pytest.raises(ReadError, match=rf"^file too large: {len(STORY)} bytes \(limit 10\)$"):
        folder.read(entry, max_bytes=10)


def test_special_files_are_refused_unread(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "dir.txt").mkdir()
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    folder = LocalFolder(tmp_path)
    entries = {e.key: e for e in folder.entries(DEFAULT_EXTENSIONS)}
    assert set(entries) == {"pipe.txt", "dangling.txt"}, "a folder is descended, not listed as a file"
    started = time.perf_counter()
    with pytest.raises(ReadError, match=r"^not a regular file \(named pipe\)$"):
        folder.read(entries["pipe.txt"], max_bytes=1000)
    assert time.perf_counter() - started < 5
    with pytest.raises(ReadError, match="^broken symlink: its target does not exist$"):
        folder.read(entries["dangling.txt"], max_bytes=1000)


def test_a_file_modified_within_the_settle_time_is_deferred(tmp_path: Path) -> None:
    (tmp_path / "fresh.txt").write_bytes(STORY)
    folder = LocalFolder(tmp_path)
    [entry] = folder.entries(DEFAULT_EXTENSIONS)
    with pytest.raises(EntryChanging):
        folder.read(entry, max_bytes=1000, settle_seconds=60)
    assert folder.read(entry, max_bytes=1000, settle_seconds=0).data == STORY


def test_open_source_takes_paths_and_file_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my folder").mkdir()
    (tmp_path / "my folder" / "a.txt").write_bytes(STORY)
    by_path = open_source(str(tmp_path / "my folder"))
    assert by_path == LocalFolder(tmp_path / "my folder")
    assert open_source((tmp_path / "my folder").as_uri()) == by_path
    monkeypatch.chdir(tmp_path)
    relative = open_source("my folder", follow_outside_symlinks=True)
    assert relative == LocalFolder(tmp_path / "my folder", follow_outside_symlinks=True)
    assert relative.display == str(tmp_path / "my folder")
    assert keys(relative) == ["a.txt"]


def test_a_source_that_cannot_be_listed_fails_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_bytes(STORY)
    for missing in (tmp_path / "nowhere", tmp_path / "file.txt"):
        with pytest.raises(SourceUnavailable, match=f"^source folder {missing} does not exist or is not a folder$"):
            open_source(str(missing))
        with pytest.raises(SourceUnavailable):
            list(LocalFolder(missing).entries(DEFAULT_EXTENSIONS))

def test_a_url_opens_a_remote_source_without_touching_it() -> None:
    from tasks.sources.remote import RemoteSource

    remote = open_source("s3://user:secret@bucket/prefix")
    assert isinstance(remote, RemoteSource) and "secret" not in remote.display


def test_a_folder_travels_to_worker_processes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(STORY)
    folder = pickle.loads(pickle.dumps(LocalFolder(tmp_path)))
    [entry] = pickle.loads(pickle.dumps(list(folder.entries(DEFAULT_EXTENSIONS))))
    assert folder.read(entry, max_bytes=1000).data == STORY
