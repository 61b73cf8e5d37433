"""The generic fsspec backend on fsspec's in-process memory file system (no server needed)."""

from __future__ import annotations

import uuid

import fsspec
import pytest

from tasks.formats import DEFAULT_EXTENSIONS
from tasks.sources.base import EntryChanging, SourceUnavailable
from tasks.sources.remote import RemoteSource


def test_memory_filesystem_lists_reads_and_notices_changes() -> None:
    root = f"corpus-{uuid.uuid4().hex[:8]}"
    fs = fsspec.filesystem("memory")
    for key in ("a.txt", "sub/b.md", ".hidden.txt", ".git/c.txt", "image.png"):
        fs.pipe(f"{root}/{key}", f"data {key}".encode())
    source = RemoteSource(f"memory://{root}")
    entries = list(source.entries(DEFAULT_EXTENSIONS))
    assert [e.key for e in entries] == ["a.txt", "sub/b.md"]
    assert [source.read(e, 100).data for e in entries] == [b"data a.txt", b"data sub/b.md"]
    fs.pipe(f"{root}/a.txt", b"data a.txt, edited")
    with pytest.raises(EntryChanging):
        source.read(entries[0], 100)
    with pytest.raises(SourceUnavailable, match="no such folder"):
        list(RemoteSource(f"memory://{root}-missing").entries(DEFAULT_EXTENSIONS))
