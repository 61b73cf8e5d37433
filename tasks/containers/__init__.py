"""Containers: files of many documents, read as a stream of members.

    reading = read_members("crawl.warc.gz", file, Limits(), Options())
    if reading is not None:
        for member in reading.members: ...   # Member(name, data, url, ..., rejected)
        reading.report                       # skipped counts, damage; complete after the loop

`read_members` recognises the kind (`kinds.detect`), peels compression layers (a
`.tar.gz` is a TAR read through the bounded inflater, `page.html.gz` one member
`page.html`), and opens archives found inside archives up to `Limits.max_depth`,
naming their members `inner.zip#path`. No exception escapes the iteration: a member
that alone is bad is yielded with `rejected`; damage to the container ends the
iteration and is in `report.damage`, the members before it kept.

Empty members (and empty dataset texts) are skipped and counted (`skipped["empty"]`),
not rejected: an empty file is no document and has no text to reject, and 100,000 of
them cost a counter increment each instead of 100,000 stored rejection records.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from tasks.containers.base import ContainerDamage, LimitExceeded, Limits, Member, Options, Report
from tasks.containers.kinds import EXTENSIONS, KINDS, ContainerKind, detect, inner_name
from tasks.containers.streams import HEAD_BYTES, Chain, Inflater, codec_of, read_bounded, too_large

__all__ = [
    "EXTENSIONS", "KINDS", "ContainerDamage", "ContainerKind", "LimitExceeded", "Limits", "Member",
    "Options", "Reading", "Report", "detect", "read_members",
]


@dataclass
class Reading:
    """An open container: its members as an iterator, and the report they fill in."""

    report: Report
    members: Iterator[Member]


def read_members(name: str, file: BinaryIO, limits: Limits = Limits(), options: Options = Options(),
                 *, depth: int = 1) -> Reading | None:
    """The container `file` (named `name`, read from its current position) as members, or
    `None` when it is no container. ZIP and Parquet need `file` to be seekable."""
    head = _read_head(file)
    seekable = _seekable(file)
    kind = detect(name, head, file if seekable else None)
    if kind is None:
        if seekable:
            file.seek(-len(head), io.SEEK_CUR)
        return None
    report = Report(kind.name, max_entries=limits.max_members)
    if kind.seekable and seekable:
        file.seek(-len(head), io.SEEK_CUR)
        stream: BinaryIO = file
    else:
        stream = Chain(head, file)  # type: ignore[assignment]
    return Reading(report, _guarded(name, kind, head, stream, limits, options, report, depth))


def _read_head(file: BinaryIO) -> bytes:
    parts = []
    size = 0
    while size < HEAD_BYTES and (chunk := file.read(HEAD_BYTES - size)):
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _seekable(file: BinaryIO) -> bool:
    try:
        return file.seekable()
    except (AttributeError, OSError, ValueError):
        return False


def _guarded(name: str, kind: ContainerKind, head: bytes, stream: BinaryIO, limits: Limits, options: Options,
             report: Report, depth: int) -> Iterator[Member]:
    """The members, with counting, the entry limit, nesting, and every failure turned into damage.

    Members with a content type (WARC pages, dataset texts) are documents by what their
    container says; only archive members, which carry nothing but a name, may be archives.
    """
    try:
        for member in _members(name, kind, head, stream, limits, options, report):
            report.entry()
            if member.rejected is None and member.content_type is None:
                yield from _nested(member, limits, options, report, depth)
                continue
            if member.rejected is not None:
                report.rejected += 1
            yield member
    except ContainerDamage as error:
        report.damage = str(error)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except Exception as error:  # noqa: BLE001 - a library failing on hostile bytes damages this container only
        report.damage = f"the {report.kind} reader failed: {type(error).__name__}: {error}"


def _members(name: str, kind: ContainerKind, head: bytes, stream: BinaryIO, limits: Limits, options: Options,
             report: Report) -> Iterator[Member]:
    if kind.read is not None:
        if kind.seekable and not _seekable(stream):
            raise ContainerDamage(f"a {kind.name} file needs random access, and this one is a stream")
        yield from kind.read(stream, limits, options, report)
        return
    # A compression layer: stream straight into what it holds when that is read as a
    # stream, otherwise it holds one member (a page, or a ZIP read from memory as nested).
    codec = codec_of(head)
    assert codec is not None
    inflated = Inflater(stream, codec, limits)
    inner = inner_name(name.rsplit("/", 1)[-1])
    head = _read_head(inflated)
    held = detect(inner, head)
    if held is not None and held.read is not None and not held.seekable:
        report.kind = f"{held.name}+{codec}"
        yield from held.read(Chain(head, inflated), limits, options, report)  # type: ignore[arg-type]
        return
    rest = read_bounded(inflated, limits.max_member_bytes - len(head))
    if rest is None:
        yield Member(inner, rejected=too_large(limits.max_member_bytes) + " once inflated")
    elif not head:
        report.skip("empty")
    else:
        yield Member(inner, head + rest)


def _nested(member: Member, limits: Limits, options: Options, report: Report, depth: int) -> Iterator[Member]:
    """A member that is itself a container, opened from memory (it is bounded by the member limit)."""
    if detect(member.name, member.data[:HEAD_BYTES], io.BytesIO(member.data)) is None:
        yield member
        return
    if depth >= limits.max_depth:
        report.rejected += 1
        yield Member(member.name, rejected=f"an archive nested deeper than {limits.max_depth} levels")
        return
    reading = read_members(member.name, io.BytesIO(member.data), limits, options, depth=depth + 1)
    assert reading is not None
    for inner in reading.members:
        inner.name = f"{member.name}#{inner.name}"
        if inner.rejected is not None:
            report.rejected += 1
        yield inner
        report.entry()
    for what, count in reading.report.skipped.items():
        report.skip(what, count)
    if reading.report.damage:
        report.rejected += 1
        yield Member(member.name, rejected=f"the nested {reading.report.kind} is damaged: {reading.report.damage}")
