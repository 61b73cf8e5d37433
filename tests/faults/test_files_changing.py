"""Files that change between discovery and reading, or while being read."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from flows.ingest import ingest
from storage import migrate, runs
from tasks.clean import clean
from tasks.dedupe import dedupe
from tasks.discover import discover
from storage.record import Document
from tasks.batch import Batch
from tasks.extract import extract
from tasks.language import detect_language
from tasks.sources import open_source
from tasks.store import store
from tests.helpers import comparable, make_corpus


def _pipeline_after_discovery(source: Path, url: str, between: callable) -> None:  # type: ignore[valid-type]
    """Discover, let `between` change the folder, then run the remaining stages on what was discovered."""
    migrate.upgrade(url)
    run_id = runs.begin(url, None, str(source))
    folder = open_source(str(source))
    found = discover(folder, url)
    between()
    batch = extract(Batch(found.documents), folder)
    for stage in (clean, detect_language):
        batch = stage(batch)
    store(dedupe(batch, url), url, run_id, None)


def test_changes_between_discovery_and_reading(tmp_path: Path, sqlite_url: str) -> None:
    source = make_corpus(tmp_path / "src", 40)
    folder = source / "part1"

    def meddle() -> None:
        (folder / "doc0001.txt").write_text("Modified after discovery: the final text of this file.\n")
        (folder / "doc0008.txt").unlink()
        (folder / "doc0015.txt").rename(folder / "renamed.txt")
        replacement = folder / "incoming.tmp"
        replacement.write_text("A replacement written beside the file and renamed over it.\n")
        os.replace(replacement, folder / "doc0022.txt")

    _pipeline_after_discovery(source, sqlite_url, meddle)
    ingest(source=str(source), db=sqlite_url)

    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    ingest(source=str(source), db=clean_url)
    current = {r["key"]: r for r in comparable(sqlite_url, all_versions=False) if r["status"] != "deleted"}
    expected = {r["key"]: r for r in comparable(clean_url, all_versions=False)}
    assert set(current) == set(expected)
    for key, record in expected.items():
        assert current[key]["text"] == record["text"], key
        assert current[key]["content_hash"] == record["content_hash"], key
    gone = {r["key"]: r["status"] for r in comparable(sqlite_url, all_versions=False) if r["status"] == "deleted"}
    assert gone == {"part1/doc0008.txt": "deleted", "part1/doc0015.txt": "deleted"}


REWRITER = """
import sys, time
path, size = sys.argv[1], int(sys.argv[2])
versions = [b"A" * size, b"B" * size]
turn = 1
while True:
    with open(path, "wb") as handle:
        handle.write(versions[turn % 2])
    turn += 1
    time.sleep(0.002)
"""

APPENDER = """
import sys
with open(sys.argv[1], "ab", buffering=0) as handle:
    while True:
        handle.write(b"appended line of a growing log file\\n")
"""


def _keep_changing(script: str, *args: str) -> subprocess.Popen[bytes]:
    writer = subprocess.Popen([sys.executable, "-c", script, *args])
    time.sleep(0.3)
    return writer


def test_a_file_rewritten_while_read_is_never_stored_torn(tmp_path: Path) -> None:
    size = 4_000_000
    path = tmp_path / "busy.txt"
    path.write_bytes(b"A" * size)
    writer = _keep_changing(REWRITER, str(path), str(size))
    deferred = 0
    try:
        for _ in range(40):
            doc = Document(key="busy.txt", path=str(path))
            extract(Batch([doc]), open_source(str(tmp_path)), max_bytes=10_000_000, settle_seconds=0.5)
            deferred += doc.deferred
            if not doc.deferred:
                assert doc.text in {"A" * size, "B" * size}, "a half-written file was read as whole"
    finally:
        writer.kill()
        writer.wait()
    assert deferred == 40
    path.write_bytes(b"B" * size)
    doc = Document(key="busy.txt", path=str(path))
    time.sleep(0.6)
    extract(Batch([doc]), open_source(str(tmp_path)), max_bytes=10_000_000, settle_seconds=0.5)
    assert doc.text in {"A" * size, "B" * size}, "the settled file is read whole"


def test_a_file_growing_while_read_is_deferred(tmp_path: Path) -> None:
    path = tmp_path / "growing.txt"
    path.write_bytes(b"start of the log\n" * 200_000)
    writer = _keep_changing(APPENDER, str(path))
    try:
        deferred = 0
        for _ in range(20):
            doc = Document(key="growing.txt", path=str(path))
            extract(Batch([doc]), open_source(str(tmp_path)), max_bytes=100_000_000)
            deferred += doc.deferred
    finally:
        writer.kill()
        writer.wait()
    assert deferred > 0


def test_a_deferred_file_is_stored_by_the_next_run(tmp_path: Path, sqlite_url: str) -> None:
    source = make_corpus(tmp_path / "src", 3)
    migrate.upgrade(sqlite_url)
    run_id = runs.begin(sqlite_url, None, str(source))
    found = discover(open_source(str(source)), sqlite_url)
    for doc in found.documents:
        doc.deferred = doc.key == "part1/doc0001.txt"
    store(Batch(found.documents), sqlite_url, run_id, None)
    assert "part1/doc0001.txt" not in {r["key"] for r in comparable(sqlite_url)}

    report = ingest(source=str(source), db=sqlite_url)
    assert report["outcomes"]["new"] == 1
    assert "part1/doc0001.txt" in {r["key"] for r in comparable(sqlite_url)}
