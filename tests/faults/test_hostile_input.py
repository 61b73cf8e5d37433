"""Hostile files: each is rejected with a reason or stored faithfully, in bounded time, as data only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flows.ingest import ingest
from storage.access import export_records, version_of
from tests.helpers import ARTICLE

INJECTION = "Robert'); DROP TABLE documents; -- and ../../etc/passwd and {{ 7*7 }} and $(rm -rf /)"


def _write(folder: Path, name: bytes, content: bytes) -> None:
    descriptor = os.open(os.path.join(os.fsencode(folder), name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with open(descriptor, "wb") as handle:
        handle.write(content)


def test_symlinks_leaving_the_root_are_not_followed(tmp_path: Path, sqlite_url: str) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text(ARTICLE.format(n=1))
    source = tmp_path / "src"
    (source / "inner").mkdir(parents=True)
    (source / "inner" / "real.txt").write_text(ARTICLE.format(n=2))
    (source / "escape.txt").symlink_to(outside)
    (source / "inside.txt").symlink_to(source / "inner" / "real.txt")
    (source / "folder-link").symlink_to(tmp_path, target_is_directory=True)

    ingest(source=str(source), db=sqlite_url)
    records = {r["key"]: r for r in export_records(sqlite_url)}
    assert records["escape.txt"]["status"] == "rejected"
    assert records["escape.txt"]["error"] == "symlink points outside the source root"
    assert records["inside.txt"]["status"] == "active"
    assert records["folder-link"]["status"] == "rejected"
    assert not any(key.startswith("folder-link/") for key in records)

    ingest(source=str(source), db=sqlite_url, follow_outside_symlinks=True, force=True)
    assert version_of(sqlite_url, "escape.txt")["status"] == "active"


def test_odd_names_get_faithful_keys(tmp_path: Path, db_url: str) -> None:
    source = tmp_path / "src"
    source.mkdir()
    long_name = b"n" * 251 + b".txt"
    names = {
        b"line\nbreak.txt": "line\nbreak.txt",
        b"caf\xe9-latin1.txt": "caf\\xe9-latin1.txt",
        long_name: long_name.decode(),
        "ünïcödé – ok.txt".encode(): "ünïcödé – ok.txt",
    }
    for n, raw in enumerate(names):
        _write(source, raw, ARTICLE.format(n=n).encode())

    report = ingest(source=str(source), db=db_url)

    assert report["outcomes"]["new"] == 4
    assert {r["key"] for r in export_records(db_url)} == set(names.values())
    assert len(long_name) == 255


def test_oversized_files_are_rejected_unread(tmp_path: Path, sqlite_url: str) -> None:
    source = tmp_path / "src"
    source.mkdir()
    with open(source / "sparse.txt", "wb") as handle:
        handle.truncate(50 * 1024**3)
    (source / "one-line.txt").write_bytes(b"x" * (100 * 1024**2))
    (source / "fine.txt").write_text(ARTICLE.format(n=1))

    report = ingest(source=str(source), db=sqlite_url)

    reasons = {r["key"]: r["reason"] for r in report["rejected"]}
    assert reasons["sparse.txt"] == f"file too large: {50 * 1024**3} bytes (limit {20 * 1024**2})"
    assert reasons["one-line.txt"].startswith("file too large")
    assert report["outcomes"]["new"] == 1


def test_huge_and_deep_html_finish_in_bounded_time(tmp_path: Path, api_env: dict[str, str]) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "million.html").write_text("<html><body>" + "<p>word</p>" * 1_000_000 + "</body></html>")
    (source / "deep.html").write_text("<html><body>" + "<div>" * 100_000 + "deep text" + "</div>" * 100_000)
    (source / "fine.txt").write_text(ARTICLE.format(n=1))
    db = f"sqlite:///{tmp_path / 'store.db'}"

    finished = subprocess.run(
        [sys.executable, "-m", "flows.cli", "ingest", "--source", str(source), "--db", db],
        env=api_env, capture_output=True, text=True, timeout=180,
    )

    assert finished.returncode == 0, finished.stderr
    records = {r["key"]: r for r in export_records(db)}
    assert records["deep.html"]["text"] == "deep text"
    assert records["million.html"]["status"] == "active"
    assert records["fine.txt"]["status"] == "active"


def test_content_is_only_ever_data(tmp_path: Path, db_url: str) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "evil ..' DROP TABLE documents; --.txt").write_text(INJECTION)
    (source / "page.html").write_text(f"<html><head><title>{INJECTION}</title></head><body><p>{INJECTION}</p></body></html>")

    ingest(source=str(source), db=db_url)
    ingest(source=str(source), db=db_url)

    records = {r["key"]: r for r in export_records(db_url)}
    assert records["evil ..' DROP TABLE documents; --.txt"]["text"] == INJECTION
    assert INJECTION in records["page.html"]["text"]
    assert sorted(p.name for p in source.iterdir()) == ["evil ..' DROP TABLE documents; --.txt", "page.html"]
