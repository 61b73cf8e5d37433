"""ZIP archives: members read from the central directory, each inflated in bounded chunks.

A ZIP needs a seekable file (its directory is at the end). Declared sizes are checked
before anything is inflated and the real output while inflating, because a hostile
directory lies: each member is bounded by `max_member_bytes` and by the ratio to its
compressed size, and the whole archive by the ratio to the archive's size, which also
stops overlapping entries (many directory entries over the same compressed bytes).
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from tasks.containers.base import ContainerDamage, LimitExceeded, Limits, Member, Options, Report
from tasks.containers.names import UniqueNames
from tasks.containers.streams import too_large

_CHUNK = 1 << 16
# zipfile raises these for a member it cannot inflate: CRC or header errors, unknown or
# missing compression methods, encryption, damaged deflate data.
_MEMBER_ERRORS = (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError, OSError, ValueError)


def read_zip(stream: BinaryIO, limits: Limits, options: Options, report: Report) -> Iterator[Member]:
    size = stream.seek(0, 2)
    declared = _declared_entries(stream, size)
    if declared is not None and declared > limits.max_members:
        raise LimitExceeded(f"the ZIP directory declares {declared:,} entries, more than {limits.max_members:,}")
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ContainerDamage(f"not a readable ZIP archive: {error}") from None
    entries = archive.infolist()
    if len(entries) > limits.max_members:
        raise LimitExceeded(f"the ZIP directory lists {len(entries):,} entries, more than {limits.max_members:,}")
    budget = Budget(max(limits.ratio_floor, limits.max_ratio * size), size)
    names = UniqueNames()
    for info in entries:
        if info.is_dir():
            report.skip("directory")
            continue
        problem = names.problem(info.orig_filename, path=True)
        if problem:
            yield Member(info.filename, rejected=problem)
        elif stat.S_ISLNK(info.external_attr >> 16):
            yield Member(info.filename, rejected="a symbolic link; links are not followed")
        elif info.file_size == 0:
            report.skip("empty")
        else:
            yield _member(archive, info, limits, budget)


def _declared_entries(stream: BinaryIO, size: int) -> int | None:
    """The entry count of the end-of-directory record, read before zipfile builds an object
    per entry (about 0.5 KB each), so a directory of millions is refused unread."""
    tail_size = min(size, 22 + 0xFFFF)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    entries = int.from_bytes(tail[at + 10 : at + 12], "little")
    if entries != 0xFFFF or at < 20 or tail[at - 20 : at - 16] != b"PK\x06\x07":
        return entries
    # ZIP64: the locator before the record points to the ZIP64 end record with the real count.
    stream.seek(int.from_bytes(tail[at - 12 : at - 4], "little"))
    record = stream.read(56)
    return int.from_bytes(record[32:40], "little") if record.startswith(b"PK\x06\x06") else None


class Budget:
    """The bytes the whole archive may inflate to, shared by its members."""

    def __init__(self, total: int, archive_size: int) -> None:
        self.left = total
        self.archive_size = archive_size

    def spend(self, count: int, limits: Limits) -> None:
        self.left -= count
        if self.left < 0:
            raise LimitExceeded(f"the ZIP inflates more than {limits.max_ratio}x its size of "
                                f"{self.archive_size:,} bytes: a zip bomb")


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: Budget) -> Member:
    if info.flag_bits & 0x1:
        return Member(info.filename, rejected="encrypted; seedflow has no password for it")
    if info.file_size > limits.max_member_bytes:
        return Member(info.filename, rejected=too_large(limits.max_member_bytes) + f" ({info.file_size:,} declared)")
    bound = max(limits.ratio_floor, limits.max_ratio * info.compress_size)
    if info.file_size > bound:
        return Member(info.filename, rejected=f"declares {info.file_size:,} bytes from {info.compress_size:,}, "
                                               f"more than {limits.max_ratio}x: a zip bomb")
    parts: list[bytes] = []
    total = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                total += len(chunk)
                budget.spend(len(chunk), limits)
                if total > limits.max_member_bytes:
                    return Member(info.filename, rejected=too_large(limits.max_member_bytes))
                if total > bound:
                    return Member(info.filename, rejected=f"inflates more than {limits.max_ratio}x: a zip bomb")
                parts.append(chunk)
    except _MEMBER_ERRORS as error:
        return Member(info.filename, rejected=f"cannot be inflated: {error}")
    return Member(info.filename, b"".join(parts))
