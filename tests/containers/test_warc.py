"""WARC containers on real WARCs written with warcio, as crawlers write them."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pytest

from tasks.containers import Limits, Options
from tests.containers.builders import good, page, read, rejected, request, response, warc_writer

PAGES = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "html" / "pages"


def crawl(path: Path, gzip_records: bool = True) -> Path:
    with path.open("wb") as out:
        writer = warc_writer(out, gzip_records)
        request(writer, "https://example.org/a")
        response(writer, "https://example.org/a", page(1), "text/html; charset=windows-1252")
        writer.write_record(writer.create_warc_record("https://example.org/a", "metadata",
                                                      payload=io.BytesIO(b"fetchTimeMs: 3\r\n"),
                                                      warc_content_type="application/warc-fields"))
        response(writer, "https://example.org/logo.png", b"\x89PNG\r\n\x1a\n....", "image/png")
        response(writer, "https://example.org/gone", b"<html>not found</html>", status="404 Not Found")
        response(writer, "https://example.org/b", page(2), "application/xhtml+xml")
        writer.write_record(writer.create_revisit_record("https://example.org/a", digest="sha1:AAAA",
                                                         refers_to_uri="https://example.org/a",
                                                         refers_to_date="2024-01-01T00:00:00Z"))
        writer.write_record(writer.create_warc_record("urn:note", "resource", payload=io.BytesIO(b"plain notes"),
                                                      warc_content_type="text/plain"))
    return path


@pytest.mark.parametrize("name,compressed", [("crawl.warc.gz", True), ("crawl.warc", False)])
def test_only_html_and_text_documents_are_members_and_the_rest_is_counted(tmp_path: Path, name: str,
                                                                           compressed: bool) -> None:
    members, reading = read(crawl(tmp_path / name, compressed))
    assert [m.url for m in members] == ["https://example.org/a", "https://example.org/b", "urn:note"]
    assert [m.data for m in members] == [page(1), page(2), b"plain notes"]
    assert all(m.name.startswith("<urn:uuid:") for m in members)
    assert reading.report.skipped == {"warcinfo": 1, "request": 1, "metadata": 1, "revisit": 1,
                                      "non-HTML payload": 1, "HTTP status 4xx": 1}
    assert reading.report.damage is None
    first = members[0]
    assert first.charset == "windows-1252"
    assert first.content_type == "text/html"
    assert first.published is not None and len(first.published) == 10


def test_members_can_be_named_by_target_uri(tmp_path: Path) -> None:
    members, _ = read(crawl(tmp_path / "crawl.warc.gz"), options=Options(warc_name="target-uri"))
    assert [m.name for m in members] == ["https://example.org/a", "https://example.org/b", "urn:note"]


def test_a_uri_crawled_twice_keeps_its_first_record_when_named_by_uri(tmp_path: Path) -> None:
    path = tmp_path / "twice.warc.gz"
    with path.open("wb") as out:
        writer = warc_writer(out)
        response(writer, "https://example.org/a", page(1))
        response(writer, "https://example.org/a", page(2))
    members, _ = read(path, options=Options(warc_name="target-uri"))
    assert good(members) == {"https://example.org/a": page(1)}
    assert "second member" in rejected(members)["https://example.org/a"]


def test_chunked_transfer_and_gzip_content_encoding_are_decoded(tmp_path: Path) -> None:
    path = tmp_path / "encoded.warc.gz"
    bodies = [page(i, "x" * 500) for i in range(5)]
    with path.open("wb") as out:
        writer = warc_writer(out)
        for index, body in enumerate(bodies):
            coded = gzip.compress(body)
            chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(coded), coded)
            response(writer, f"https://example.org/{index}", chunked,
                     extra=[("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")])
        response(writer, "https://example.org/deflate", __import__("zlib").compress(bodies[0]),
                 extra=[("Content-Encoding", "deflate")])
    members, reading = read(path)
    assert [m.data for m in members] == [*bodies, bodies[0]]
    assert reading.report.damage is None


def test_unsupported_content_encoding_is_a_rejected_member(tmp_path: Path) -> None:
    path = tmp_path / "br.warc.gz"
    with path.open("wb") as out:
        writer = warc_writer(out)
        response(writer, "https://example.org/a", b"????", extra=[("Content-Encoding", "compress")])
        response(writer, "https://example.org/b", page(2))
    members, _ = read(path)
    assert [m.data for m in members if m.rejected is None] == [page(2)]
    assert "unsupported HTTP content encoding 'compress'" in members[0].rejected


def test_a_content_encoding_bomb_is_rejected_and_the_next_page_kept(tmp_path: Path) -> None:
    path = tmp_path / "bomb.warc.gz"
    with path.open("wb") as out:
        writer = warc_writer(out)
        response(writer, "https://example.org/bomb", gzip.compress(b"\0" * 50_000_000),
                 extra=[("Content-Encoding", "gzip")])
        response(writer, "https://example.org/b", page(2))
    members, reading = read(path)
    assert good(members) == {members[1].name: page(2)}
    assert "compression bomb" in members[0].rejected
    assert reading.report.damage is None


def test_a_record_larger_than_the_limit_is_rejected_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.warc.gz"
    with path.open("wb") as out:
        writer = warc_writer(out)
        response(writer, "https://example.org/big", page(1) * 5000)
        response(writer, "https://example.org/b", page(2))
    members, _ = read(path, Limits(max_member_bytes=100_000))
    assert "larger than the member limit" in members[0].rejected
    assert members[1].data == page(2)


@pytest.mark.parametrize("name,compressed", [("cut.warc.gz", True), ("cut.warc", False)])
def test_a_truncated_warc_keeps_the_records_before_the_damage(tmp_path: Path, name: str, compressed: bool) -> None:
    path = tmp_path / name
    bodies = [page(i, os.urandom(2000).hex()) for i in range(30)]
    with path.open("wb") as out:
        writer = warc_writer(out, compressed)
        for index, body in enumerate(bodies):
            response(writer, f"https://example.org/{index}", body)
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3 + 77])
    members, reading = read(path)
    kept = [m.data for m in members if m.rejected is None]
    assert 15 <= len(kept) < 30
    assert kept == bodies[: len(kept)]
    assert "truncated" in reading.report.damage


def test_garbage_after_a_warc_signature_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "junk.warc"
    path.write_bytes(b"WARC/1.0\r\nthis is not a header\r\n\r\n" + os.urandom(5000))
    members, reading = read(path)
    assert members == []
    assert reading.report.damage.startswith("the WARC is damaged")


@pytest.mark.skipif(not PAGES.is_dir(), reason=f"the shared corpus is missing: expected {PAGES}")
def test_corpus_pages_come_out_of_a_warc_byte_for_byte(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.archives import corpus_pages, write_warc

    pages = corpus_pages()
    path = tmp_path / "corpus.warc.gz"
    write_warc(path, iter(pages))
    members, reading = read(path)
    assert [(m.url, m.data) for m in members] == pages
    assert reading.report.skipped == {"warcinfo": 1, "request": 200, "metadata": 200}
