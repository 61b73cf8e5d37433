"""ZIP archives read from bytes with hard limits, for the ZIP-based document formats.

DOCX, PPTX, ODT and EPUB are ZIP archives, and a hostile one can declare a few kilobytes
that inflate to gigabytes (a zip bomb), or name a member `../../evil.txt`. Nothing here
writes to disk, and every limit is checked twice: on the central directory before any
byte is inflated, and again while inflating, in chunks, because declared sizes can lie.
Only stored and deflated members are read: the document formats use nothing else, and
bzip2/LZMA decompressors cannot be asked to stop after a given output size.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from tasks.formats.base import Rejected

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
# Members this small inflate fast whatever their ratio (a page of spaces compresses 1000:1).
_RATIO_FLOOR = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    """How much an archive may hold; the defaults fit real office files with a wide margin."""

    max_members: int = 10_000
    max_member_bytes: int = 100 * 1024 * 1024
    max_total_bytes: int = 100 * 1024 * 1024
    max_ratio: int = 100


DEFAULT_LIMITS = ZipLimits()


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def unsafe_name(name: str) -> bool:
    """True for names that would escape an extraction folder or hide behind a NUL byte."""
    if not name or "\x00" in name:
        return True
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return any(part == ".." for part in re.split(r"[/\\]", name))


class SafeZip:
    """A ZIP archive checked on opening; `read` inflates one member within the limits left."""

    def __init__(self, data: bytes, what: str = "ZIP archive", limits: ZipLimits = DEFAULT_LIMITS) -> None:
        self._what = what
        self._limits = limits
        self._inflated = 0
        if not data:
            raise Rejected(f"empty file: no {what}")
        if not is_zip(data):
            raise Rejected(f"not a {what}: no ZIP signature")
        try:
            self._archive = zipfile.ZipFile(io.BytesIO(data))
            infos = self._archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError) as error:
            raise Rejected(f"corrupt {what}: {error}") from None
        self._infos = {info.filename: info for info in infos}
        self._check_directory(data, infos)

    def _check_directory(self, data: bytes, infos: list[zipfile.ZipInfo]) -> None:
        limits = self._limits
        if len(infos) > limits.max_members:
            raise Rejected(f"{self._what} has {len(infos)} members, more than the limit of {limits.max_members}")
        total = 0
        for info in infos:
            name = _local_name(data, info) or info.filename
            if unsafe_name(name) or unsafe_name(info.filename):
                raise Rejected(f"unsafe member name: {name!r}")
            if info.flag_bits & 0x1:
                raise Rejected(f"encrypted {self._what}: member {info.filename!r} needs a password")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise Rejected(f"unsupported ZIP compression method {info.compress_type} in {info.filename!r}")
            if info.file_size > limits.max_member_bytes:
                raise Rejected(
                    f"zip bomb refused: member {info.filename!r} declares {info.file_size} bytes, "
                    f"more than the limit of {limits.max_member_bytes}"
                )
            if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise Rejected(
                    f"zip bomb refused: member {info.filename!r} inflates "
                    f"{info.file_size // max(info.compress_size, 1)}:1, more than {limits.max_ratio}:1"
                )
            total += info.file_size
        if total > limits.max_total_bytes:
            raise Rejected(
                f"zip bomb refused: members declare {total} bytes in all, "
                f"more than the limit of {limits.max_total_bytes}"
            )

    def names(self) -> list[str]:
        return list(self._infos)

    def has(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        """The member's bytes, inflated in chunks and stopped at the first limit passed.

        `max_bytes` lowers the limit for one read, as sniffing needs only small members.
        """
        info = self._infos.get(name)
        if info is None:
            raise Rejected(f"{self._what} has no member {name!r}")
        limits = self._limits
        allowed = min(
            limits.max_member_bytes, limits.max_total_bytes - self._inflated, max_bytes or limits.max_member_bytes
        )
        chunks: list[bytes] = []
        size = 0
        try:
            with self._archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    size += len(chunk)
                    if size > allowed:
                        raise Rejected(f"zip bomb refused: member {name!r} inflates past the size limit")
                    if size > _RATIO_FLOOR and size > limits.max_ratio * max(info.compress_size, 1):
                        raise Rejected(f"zip bomb refused: member {name!r} inflates more than {limits.max_ratio}:1")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as error:
            raise Rejected(f"corrupt {self._what}: member {name!r}: {error}") from None
        self._inflated += size
        return b"".join(chunks)

    def read_all(self) -> None:
        """Inflates every member within the limits, for formats whose library then reads the archive itself.

        python-docx and python-pptx open the ZIP with `zipfile` and read every part with no
        limit; inflating it here first proves their reads are bounded (zipfile stops each
        member at its declared size) and that every member's data is intact.
        """
        for name in self._infos:
            self.read(name)


def _local_name(data: bytes, info: zipfile.ZipInfo) -> str | None:
    """The member's name as its local header spells it; `zipfile` cuts names at a NUL byte."""
    start = info.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_SIGNATURE:
        return None
    raw = data[start + _LOCAL_HEADER.size : start + _LOCAL_HEADER.size + fields[9]]
    return raw.decode("utf-8" if info.flag_bits & 0x800 else "cp437", errors="replace")
