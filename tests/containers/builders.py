"""Real archives for the container tests, written with the libraries that write them in the wild."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tasks.containers import Limits, Member, Options, Reading, read_members


def page(index: int, words: str = "") -> bytes:
    return (f"<!doctype html><html><head><title>Page {index}</title></head><body>"
            f"<p>Article number {index}. {words}</p></body></html>").encode()


def read(path: Path, limits: Limits = Limits(), options: Options = Options()) -> tuple[list[Member], Reading]:
    """All members of the container at `path`, read from a real file; the reading holds the report."""
    with path.open("rb") as file:
        reading = read_members(path.name, file, limits, options)
        assert reading is not None, f"{path.name} was not recognised as a container"
        return list(reading.members), reading


def good(members: list[Member]) -> dict[str, bytes]:
    return {m.name: m.data for m in members if m.rejected is None}


def rejected(members: list[Member]) -> dict[str, str]:
    return {m.name: m.rejected for m in members if m.rejected is not None}


def response(writer: WARCWriter, url: str, body: bytes, content_type: str = "text/html; charset=utf-8",
             status: str = "200 OK", extra: Iterable[tuple[str, str]] = ()) -> None:
    http = StatusAndHeaders(status, [("Content-Type", content_type), *extra], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))


def request(writer: WARCWriter, url: str) -> None:
    http = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", "example.org")], is_http_request=True)
    writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=http))


def warc_writer(out: BinaryIO, gzip: bool = True) -> WARCWriter:
    writer = WARCWriter(out, gzip=gzip)
    writer.write_record(writer.create_warcinfo_record("test.warc.gz", {"software": "seedflow tests"}))
    return writer
