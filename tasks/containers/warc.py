"""WARC files (`.warc`, `.warc.gz`): HTML and text `response`/`resource` records as members.

Read with fastwarc, chosen by measurement over warcio (benchmarks/archives.py, a 1 GB
generated WARC on a busy 2-core machine: fastwarc alone 1,362 members/s, warcio 528,
this reader 984, each under 40 MB peak RSS). fastwarc gets the already inflated stream
from the bounded `Inflater` rather than inflating itself, because natively it ends a
truncated `.warc.gz` silently with a short last record, and its own inflating has no
ratio bound; that costs a quarter of its speed and still reads at twice warcio's. Its `auto_decode="all"` drops every
record after the first chunked-and-gzipped response, so it only removes the transfer
(chunked) encoding and the content encoding is undone here, bounded.

Other records are counted in the report by type (request, metadata, revisit,
warcinfo, ...), responses that are no page by why (HTTP status, non-HTML payload).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from tasks.containers.base import ContainerDamage, Limits, Member, Options, Report
from tasks.containers.names import UniqueNames
from tasks.containers.streams import Chain, Inflater, read_bounded, too_large

_TEXTUAL = ("text/html", "application/xhtml+xml", "text/plain")


def read_warc(stream: BinaryIO, limits: Limits, options: Options, report: Report) -> Iterator[Member]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    positioned = stream if isinstance(stream, (Chain, Inflater)) else Chain(b"", stream)
    names = UniqueNames()
    documents = WarcRecordType.response | WarcRecordType.resource
    last: Any = None
    try:
        for record in ArchiveIterator(positioned, parse_http=True, auto_decode="transfer", stream_detect=False):
            last = record
            if not record.record_type & documents:
                report.skip(str(record.record_type))
                continue
            skip = _not_a_page(record)
            if skip:
                report.skip(skip)
                continue
            member = _member(record, names, limits, options)
            if member.rejected is None and not member.data:
                report.skip("empty")
                continue
            yield member
            last = None
    except ContainerDamage:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as error:  # noqa: BLE001 - fastwarc raises OSError, and a Rust panic is a BaseException
        raise ContainerDamage(f"the WARC is damaged after {report.entries:,} records: {error}") from None
    if last is not None and last.stream_pos + last.content_length > positioned.tell():
        raise ContainerDamage(f"the WARC ends inside its last record {last.record_id} (truncated)")


def read_arc(stream: BinaryIO, limits: Limits, options: Options, report: Report) -> Iterator[Member]:
    """ARC, the WARC's predecessor, is recognised so that it is reported rather than read as text."""
    raise ContainerDamage("an ARC file: fastwarc reads only WARC; `warcio recompress FILE.arc.gz OUT.warc.gz` "
                          "converts it")
    yield  # a generator like every reader


def _not_a_page(record: Any) -> str | None:
    from fastwarc.warc import WarcRecordType

    if record.record_type == WarcRecordType.response:
        if not record.is_http:
            return "response without HTTP headers"
        status = record.http_headers.status_code or 0
        if not 200 <= status < 300:
            return f"HTTP status {status // 100}xx"
        content_type = record.http_content_type or ""
    else:
        content_type = (record.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in _TEXTUAL:
        return "non-HTML payload"
    return None


def _member(record: Any, names: UniqueNames, limits: Limits, options: Options) -> Member:
    url = record.headers.get("WARC-Target-URI")
    name = (url if options.warc_name == "target-uri" else record.record_id) or ""
    from fastwarc.warc import WarcRecordType

    http = record.record_type == WarcRecordType.response
    content_type = (record.http_content_type if http else
                    (record.headers.get("Content-Type") or "").split(";")[0].strip().lower()) or None
    charset = record.http_charset if http else None
    try:
        published = record.record_date.date().isoformat()
    except (ValueError, OSError, OverflowError, AttributeError):
        published = None
    problem = names.problem(name, path=False)
    if problem:
        return Member(name, url=url, rejected=problem)
    if record.content_length > limits.max_member_bytes:
        return Member(name, url=url, rejected=too_large(limits.max_member_bytes) + f" ({record.content_length:,} declared)")
    encoding = (record.http_headers.get("Content-Encoding") or "identity").strip().lower() if http else "identity"
    # fastwarc hands out a record cut short by the end of the file as if it were whole;
    # without a transfer encoding, the bytes read must be the length it declares.
    reader = _Counted(record.reader)
    try:
        data = _payload(reader, encoding, limits)
    except ContainerDamage as error:
        data = f"the page's {encoding} content encoding is damaged: {error}"
    chunked = http and record.http_headers.get("Transfer-Encoding")
    if not chunked and data is not None and reader.count < record.content_length:
        while reader.read(1 << 16):
            pass
        if reader.count < record.content_length:
            raise ContainerDamage(f"the WARC ends inside the record {record.record_id} (truncated)")
    if data is None:
        return Member(name, url=url, rejected=too_large(limits.max_member_bytes))
    if isinstance(data, str):
        return Member(name, url=url, rejected=data)
    return Member(name, data, url=url, published=published, charset=charset, content_type=content_type)


class _Counted:
    """Counts the payload bytes a record's reader handed out."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._reader.read(size)
        self.count += len(data)
        return data


def _payload(reader: Any, encoding: str, limits: Limits) -> bytes | str | None:
    """The decoded payload, `None` when too large, or a rejection reason."""
    if encoding in ("identity", ""):
        return read_bounded(reader, limits.max_member_bytes)
    if encoding in ("gzip", "x-gzip"):
        return read_bounded(Inflater(reader, "gzip", limits), limits.max_member_bytes)
    if encoding == "deflate":
        raw = read_bounded(reader, limits.max_member_bytes)
        if raw is None:
            return None
        # "deflate" is zlib-wrapped by the standard and raw deflate in practice; try both.
        for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
            try:
                inflated = zlib.decompressobj(wbits).decompress(raw, limits.max_member_bytes + 1)
            except zlib.error:
                continue
            return inflated if len(inflated) <= limits.max_member_bytes else None
        return "the page's deflate content encoding is damaged"
    return f"an unsupported HTTP content encoding {encoding!r}"


