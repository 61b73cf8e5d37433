"""Which files are containers: leading bytes first, extensions for textual datasets."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from tasks.containers import EXTENSIONS, detect
from tasks.containers.kinds import inner_name
from tests.containers.builders import read


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        archive.addfile(tarfile.TarInfo("a"))
    return out.getvalue()


@pytest.mark.parametrize("name,head,kind", [
    ("x.warc", b"WARC/1.1\r\n", "warc"),
    ("anything", b"WARC/1.0\r\n", "warc"),
    ("x.zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\0" * 20 + b"a.html", "zip"),
    ("x.tar", _tar()[:4096], "tar"),
    ("noext", _tar()[:4096], "tar"),
    ("x.warc.gz", gzip.compress(b"WARC/1.0"), "compressed"),
    ("page.html.gz", gzip.compress(b"<html>"), "compressed"),
    ("x.parquet", b"PAR1\x15\x04", "parquet"),
    ("x.jsonl", b'{"text": "a"}\n', "jsonl"),
    ("x.ndjson", b'\xef\xbb\xbf{"text": "a"}\n', "jsonl"),
    ("x.json", b'  [{"text": "a"}]', "json"),
    ("old.arc", b"filedesc://old.arc 0.0.0.0 20010101000000 text/plain 76\n", "arc"),
])
def test_kinds_by_bytes_and_extension(name: str, head: bytes, kind: str) -> None:
    found = detect(name, head)
    assert found is not None and found.name == kind


@pytest.mark.parametrize("name,head", [
    ("page.html", b"<!doctype html><html>"),
    ("fake.zip", b"<!doctype html><html>"),  # bytes decide: this "ZIP" is a page
    ("x.json", b'{"text": "a"}'),            # one object is a document, not a dataset
    ("notes.txt", b'{"text": "a"}\n'),       # JSON Lines need their extension
    ("report.docx", b"PK\x03\x04"),
    ("x.pdf", b"%PDF-1.7"),
])
def test_non_containers(name: str, head: bytes) -> None:
    assert detect(name, head) is None


def test_inner_names_of_compressed_files() -> None:
    assert inner_name("page.html.gz") == "page.html"
    assert inner_name("dump.tgz") == "dump.tar"
    assert inner_name("x.tar.zst") == "x.tar"
    assert inner_name("data.bz2") == "data"


def test_container_extensions_for_listing() -> None:
    assert {".warc.gz", ".zip", ".tar.zst", ".tgz", ".jsonl", ".jsonl.gz", ".parquet", ".gz", ".xz"} <= EXTENSIONS


def test_an_arc_file_is_reported_with_how_to_convert_it(tmp_path: Path) -> None:
    path = tmp_path / "old.arc.gz"
    path.write_bytes(gzip.compress(b"filedesc://old.arc 0.0.0.0 20010101000000 text/plain 76\n1 0 x\n"))
    members, reading = read(path)
    assert members == []
    assert "warcio recompress" in reading.report.damage
