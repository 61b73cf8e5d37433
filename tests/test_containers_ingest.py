"""Containers through the ingest flow: each member a versioned document keyed `container#member`.

Archives are real files written in tmp_path with zipfile, tarfile, gzip, warcio and json;
the store is real (SQLite, and PostgreSQL where `db_url` runs both).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from flows.ingest import ingest
from storage.access import export_records, history, version_of
from storage.record import Document
from storage.status import Status

CORPUS_PAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "html" / "pages"
_WORDS = ("harbour quay council budget river school bridge tram library market festival election museum "
          "hospital station orchard vineyard ferry tunnel stadium theatre archive garden factory").split()


def prose(seed: int, sentences: int = 6) -> str:
    """Text of its own for each seed, so no two members are near-duplicates of each other."""
    rng = random.Random(seed)
    return " ".join(
        " ".join(rng.choice(_WORDS) for _ in range(12)).capitalize() + f" ({seed}-{n})." for n in range(sentences)
    )


def html(seed: int) -> bytes:
    return (f"<!doctype html><html><head><title>Story {seed}</title></head><body><article>"
            f"<p>{prose(seed)}</p><p>{prose(seed + 1000)}</p></article></body></html>").encode()


def write_warc(path: Path, pages: dict[int, bytes], gzip_records: bool = True) -> None:
    """A crawler's WARC (warcinfo, then request + response per page) with stable record ids."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gzip_records)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "seedflow tests"}))
        for number, body in pages.items():
            url = f"https://news.example/{number}"
            request = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", "news.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b""),
                                                          http_headers=request))
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http,
                warc_headers_dict={"WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>",
                                   "WARC-Date": "2024-03-0%dT10:00:00Z" % (number % 9 + 1)})
            writer.write_record(record)


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def write_tar_gz(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def records(count: int, changed: int | None = None) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "text": prose(500 + i) + (" A correction." if i == changed else ""),
             "url": f"https://data.example/{i}", "title": f"Record {i}", "date": f"2023-0{i % 9 + 1}-15"}
            for i in range(count)]


def folder_of_containers(root: Path) -> Path:
    root.mkdir()
    write_warc(root / "crawl.warc.gz", {n: html(n) for n in range(3)})
    write_zip(root / "export.zip", {"news/a.html": html(10), "news/b.txt": prose(11).encode()})
    write_tar_gz(root / "bundle.tar.gz", {"docs/c.html": html(20), "docs/d.md": ("# Notes\n\n" + prose(21)).encode()})
    (root / "page.html.gz").write_bytes(gzip.compress(html(30)))
    write_jsonl(root / "data.jsonl", records(3))
    return root


WARC_IDS = [f"crawl.warc.gz#<urn:uuid:00000000-0000-0000-0000-{n:012d}>" for n in range(3)]
MEMBERS = sorted([
    *WARC_IDS, "export.zip#news/a.html", "export.zip#news/b.txt", "bundle.tar.gz#docs/c.html",
    "bundle.tar.gz#docs/d.md", "page.html.gz#page.html", "data.jsonl#r0", "data.jsonl#r1", "data.jsonl#r2",
])


def run(source: Path, db_url: str, **options: Any) -> dict[str, Any]:
    return ingest(source=str(source), db=db_url, retry_delay_seconds=0, **options)


def current(db_url: str) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in export_records(db_url)}


def versions(db_url: str) -> dict[str, int]:
    return {key: record["version"] for key, record in current(db_url).items()}


def test_each_member_of_each_container_is_its_own_document(tmp_path: Path, db_url: str) -> None:
    source = folder_of_containers(tmp_path / "source")
    report = run(source, db_url)

    stored = current(db_url)
    assert sorted(stored) == MEMBERS
    assert report["outcomes"]["new"] == len(MEMBERS) and report["outcomes"]["rejected"] == 0
    assert all(r["status"] == "active" and r["version"] == 1 for r in stored.values())
    assert {r["container"] for r in stored.values()} == {
        "crawl.warc.gz", "export.zip", "bundle.tar.gz", "page.html.gz", "data.jsonl"}
    page = stored[WARC_IDS[1]]
    assert (page["url"], page["title"], page["format"]) == ("https://news.example/1", "Story 1", "html")
    assert page["published"] == "2024-03-02"  # the WARC-Date, as the page states none
    assert page["text"].startswith(prose(1)[:40])
    record = stored["data.jsonl#r2"]
    assert (record["url"], record["title"], record["published"]) == ("https://data.example/2", "Record 2", "2023-03-15")
    assert stored["bundle.tar.gz#docs/d.md"]["format"] == "markdown"
    assert stored["page.html.gz#page.html"]["title"] == "Story 30"
    # `show` and `history` take member keys like any other key.
    assert version_of(db_url, "export.zip#news/b.txt")["text"] == prose(11)
    assert [v["version"] for v in history(db_url, "data.jsonl#r0")] == [1]


def test_an_unchanged_container_is_not_opened_again(tmp_path: Path, sqlite_url: str) -> None:
    source = folder_of_containers(tmp_path / "source")
    first = run(source, sqlite_url)
    assert first["counts"]["containers.read"] == 5
    before = current(sqlite_url)

    # Make every container unreadable while keeping its size and mtime: reading one now
    # would reject or delete its members.
    for path in source.iterdir():
        status = path.stat()
        path.write_bytes(b"\0" * status.st_size)
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    again = run(source, sqlite_url)

    assert again["counts"].get("containers.read", 0) == 0 and again["counts"].get("members.read", 0) == 0
    assert again["outcomes"]["unchanged"] == 5
    assert sum(again["outcomes"][o] for o in ("new", "updated", "deleted", "rejected")) == 0
    assert current(sqlite_url) == before


def test_one_changed_record_is_one_new_version(tmp_path: Path, db_url: str) -> None:
    source = folder_of_containers(tmp_path / "source")
    run(source, db_url)

    write_jsonl(source / "data.jsonl", records(3, changed=1))
    write_warc(source / "crawl.warc.gz", {0: html(0), 1: html(101), 2: html(2)})
    report = run(source, db_url, batch_size=2)  # members spread over batches, counted in each

    assert report["outcomes"]["updated"] == 2 and report["outcomes"]["new"] == 0
    assert report["counts"]["containers.read"] == 2 and report["counts"]["members.read"] == 6
    assert report["counts"]["extract.extracted"] == 2  # the other four were not even parsed
    after = versions(db_url)
    assert after.pop("data.jsonl#r1") == 2 and after.pop(WARC_IDS[1]) == 2
    assert set(after.values()) == {1}
    assert version_of(db_url, "data.jsonl#r1")["text"].endswith("A correction.")


def test_members_are_parsed_by_worker_processes_in_small_batches(tmp_path: Path, sqlite_url: str) -> None:
    source = folder_of_containers(tmp_path / "source")
    report = run(source, sqlite_url, workers=2, batch_size=3)
    assert sorted(current(sqlite_url)) == MEMBERS
    assert report["outcomes"]["new"] == len(MEMBERS) and report["counts"]["members.read"] == len(MEMBERS)


def test_members_gone_from_a_container_and_a_vanished_container_are_deleted(tmp_path: Path, db_url: str) -> None:
    source = folder_of_containers(tmp_path / "source")
    run(source, db_url)

    write_zip(source / "export.zip", {"news/a.html": html(10)})
    (source / "bundle.tar.gz").unlink()
    report = run(source, db_url)

    assert report["outcomes"]["deleted"] == 3
    stored = current(db_url)
    assert stored["export.zip#news/b.txt"]["status"] == "deleted"
    assert stored["export.zip#news/a.html"]["version"] == 1
    assert stored["bundle.tar.gz#docs/c.html"]["status"] == "deleted"
    assert stored["bundle.tar.gz#docs/d.md"]["status"] == "deleted"
    assert [v["status"] for v in history(db_url, "export.zip#news/b.txt")] == ["active", "deleted"]

    # Put back as it was (same size and mtime would be the worst case): read again, members back.
    write_tar_gz(source / "bundle.tar.gz", {"docs/c.html": html(20), "docs/d.md": ("# Notes\n\n" + prose(21)).encode()})
    back = run(source, db_url)
    assert back["outcomes"]["new"] == 2
    assert current(db_url)["bundle.tar.gz#docs/c.html"]["status"] == "active"


def test_hostile_members_and_containers_are_rejected_with_reasons_and_the_rest_kept(
    tmp_path: Path, sqlite_url: str
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    write_zip(source / "evil.zip", {"../evil.html": html(1), "fine.html": html(2)})
    write_zip(source / "bomb.zip", {"bomb.html": b"\0" * 15_000_000, "beside.html": html(3)})
    write_warc(source / "cut.warc.gz", {n: html(40 + n) + os.urandom(3000).hex().encode() for n in range(12)})
    cut = source / "cut.warc.gz"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size * 2 // 3])
    (source / "broken.zip").write_bytes(b"PK\x03\x04" + os.urandom(300))
    with zipfile.ZipFile(source / "empty.zip", "w") as archive:
        for n in range(100_000):
            archive.writestr(f"e{n}.html", b"")
    write_jsonl(source / "mixed.jsonl", records(2))
    with (source / "mixed.jsonl").open("a") as out:
        out.write("{not json\n")
    (source / "story.html").write_bytes(html(60))

    report = run(source, sqlite_url)

    reasons = {r["key"]: r["reason"] for r in report["rejected"]}
    stored = current(sqlite_url)
    assert "leads out of the archive" in reasons["evil.zip#../evil.html"]
    assert stored["evil.zip#fine.html"]["status"] == "active"
    assert "zip bomb" in reasons["bomb.zip#bomb.html"]
    assert stored["bomb.zip#beside.html"]["status"] == "active"
    kept = [k for k, r in stored.items() if k.startswith("cut.warc.gz#") and r["status"] == "active"]
    assert 4 <= len(kept) < 12
    assert "truncated" in reasons["cut.warc.gz"] and reasons["cut.warc.gz"].startswith("damaged after")
    assert "broken.zip" in reasons and not any(k.startswith("broken.zip#") for k in stored)
    assert reasons["empty.zip"] == "no documents in this zip (100,000 empty skipped)"
    assert "not JSON" in reasons["mixed.jsonl#3"] or "JSON" in reasons["mixed.jsonl#3"]
    assert stored["mixed.jsonl#r0"]["status"] == stored["mixed.jsonl#r1"]["status"] == "active"
    assert stored["story.html"]["status"] == "active"

    # A damaged container keeps what it had: re-ingest reads nothing and deletes nothing.
    again = run(source, sqlite_url)
    assert again["counts"].get("containers.read", 0) == 0 and again["outcomes"]["deleted"] == 0


def test_a_file_with_a_container_name_that_is_none_is_a_plain_document(tmp_path: Path, sqlite_url: str) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "notes.json").write_text(json.dumps({"note": prose(70)}), encoding="utf-8")
    (source / "page.zip").write_bytes(html(71))
    first = run(source, sqlite_url)
    assert first["outcomes"]["new"] == 2
    assert sorted(current(sqlite_url)) == ["notes.json", "page.zip"]
    assert current(sqlite_url)["page.zip"]["format"] == "html"
    again = run(source, sqlite_url)
    assert again["outcomes"]["unchanged"] == 2 and again["counts"].get("containers.read", 0) == 0


def test_a_member_key_can_be_a_listed_file_beside_the_container(tmp_path: Path, sqlite_url: str) -> None:
    """`a.zip#b.txt` the file is not `a.zip`'s member b.txt: no reading of `a.zip` deletes it."""
    source = tmp_path / "source"
    source.mkdir()
    write_zip(source / "a.zip", {"x.txt": prose(80).encode()})
    (source / "a.zip#b.txt").write_text(prose(81), encoding="utf-8")
    run(source, sqlite_url)
    write_zip(source / "a.zip", {"x.txt": prose(82).encode()})
    run(source, sqlite_url)
    stored = current(sqlite_url)
    assert stored["a.zip#b.txt"]["status"] == "active" and stored["a.zip#x.txt"]["version"] == 2


@pytest.mark.skipif(not CORPUS_PAGES.is_dir(), reason=f"the shared corpus is missing: expected {CORPUS_PAGES}")
def test_a_corpus_page_reads_the_same_inside_a_warc_as_on_its_own(tmp_path: Path, sqlite_url: str) -> None:
    chosen = sorted(CORPUS_PAGES.glob("*.html"))[7]
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(chosen, source / chosen.name)
    write_warc(source / "one.warc.gz", {0: chosen.read_bytes()})
    run(source, sqlite_url)
    stored = current(sqlite_url)
    alone, inside = stored[chosen.name], stored[WARC_IDS[0].replace("crawl", "one")]
    assert inside["text"] == alone["text"] and alone["text"]
    assert (inside["title"], inside["language"]) == (alone["title"], alone["language"])
    assert inside["duplicate_of"] == chosen.name


def test_new_optional_fields_leave_an_old_documents_hash_unchanged() -> None:
    """The hashes below were taken before `url` and `container` existed (storage/record.py)."""
    old = Document(key="notes/a.txt", path="/x", title="A title", published="2025-01-22", text="Some text.",
                   content_hash="ab" * 32, language="en", language_score=0.99,
                   languages=[{"language": "en", "score": 0.99}], format="text", encoding="utf-8")
    assert old.record_hash() == "345219eadfd0d5427b06d1c1661389a7501edcb94f9e2b7b6e917a7ef033a99f"
    gone = Document(key="gone.txt", path="", status=Status.DELETED)
    assert gone.record_hash() == "7653fbda83da14ecfad23ee3c17dc222b233033bd1cb8a121de0edf9d955db90"
    member = Document(key="a.zip#b.txt", path="/x", container="a.zip")
    assert member.record_hash() != Document(key="a.zip#b.txt", path="/x").record_hash()


def test_a_warc_pages_http_charset_decodes_a_page_that_declares_none(tmp_path: Path, sqlite_url: str) -> None:
    """Short Czech text in ISO-8859-2 is taken for windows-1250 by detection alone (š, ť differ)."""
    text = "Příliš žluťoučký kůň úpěl ďábelské ódy. " * 2
    body = f"<html><head><title>Kůň</title></head><body><p>{text}</p></body></html>".encode("iso-8859-2")
    source = tmp_path / "source"
    source.mkdir()
    with (source / "cs.warc").open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=ISO-8859-2")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://cs.example/", "response", payload=io.BytesIO(body),
                                                      http_headers=http))
    run(source, sqlite_url)
    [record] = current(sqlite_url).values()
    assert (record["encoding"], record["title"]) == ("iso8859-2", "Kůň")
    assert record["text"] == text.strip()


def test_a_container_that_changes_while_read_is_neither_recorded_nor_pruned(tmp_path: Path, sqlite_url: str) -> None:
    from storage import containers
    from storage.session import session_scope
    from tasks.members import Expansion
    from tasks.sources import LocalFolder
    from tasks.store import store_settlements

    source = tmp_path / "source"
    source.mkdir()
    path = source / "data.jsonl"
    write_jsonl(path, records(3))
    run(source, sqlite_url)
    write_jsonl(path, records(2, changed=0))  # r0 changed, r2 gone ...
    status = path.stat()
    listed = Document(key="data.jsonl", path=str(path), size=status.st_size, mtime_ns=status.st_mtime_ns)
    expansion = Expansion([listed], LocalFolder(source), sqlite_url, batch_size=1)
    batches = expansion.batches()
    first = next(batches)  # the reading stands at r0
    with path.open("a", encoding="utf-8") as out:  # ... and the file grows while it is read
        out.write(json.dumps({"id": "r9", "text": prose(9)}) + "\n")
    settled = [s for batch in [first, *batches] for s in expansion.settled(batch)]

    assert [s.complete for s in settled] == [False]
    assert store_settlements(settled, sqlite_url, run_id=1, flow_run_id=None) == 0
    assert current(sqlite_url)["data.jsonl#r2"]["status"] == "active"
    with session_scope(sqlite_url) as session:
        assert containers.fingerprints(session)["data.jsonl"].size != path.stat().st_size  # read again next run
    again = run(source, sqlite_url)
    assert again["counts"]["containers.read"] == 1
    assert (again["outcomes"]["deleted"], again["outcomes"]["new"]) == (1, 1)  # r2 gone, r9 new


def test_open_stream_refuses_what_read_refuses_and_sees_a_change(tmp_path: Path) -> None:
    from tasks.sources import ReadError
    from tasks.sources.local import open_stream

    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match="named pipe"):
        open_stream(str(fifo))
    with pytest.raises(ReadError, match="vanished"):
        open_stream(str(tmp_path / "missing.zip"))
    path = tmp_path / "grows.warc"
    path.write_bytes(b"WARC/1.0\r\n")
    with open_stream(str(path)) as stream:
        assert stream.file.read() == b"WARC/1.0\r\n" and not stream.moved()
        with path.open("ab") as out:
            out.write(b"more")
        assert stream.moved()
