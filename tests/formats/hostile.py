"""Hostile and broken variants of real files, built from bytes in the tests."""

from __future__ import annotations

import io
import struct
import zipfile

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (level, (b"&lol%d;" % (level - 1) if level > 2 else b"&lol;") * 10)
        for level in range(2, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>"
)
XXE = b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17) + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The archive with some members' bytes replaced and others added, all deflated."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, member in add.items():
            target.writestr(name, member)
    return out.getvalue()


def with_bomb(data: bytes, name: str, size: int) -> bytes:
    """The archive plus a member of `size` zero bytes, written in chunks (it deflates ~1000:1)."""
    out = io.BytesIO(data)
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return out.getvalue()


def with_renamed_member(data: bytes, old: str, new: str) -> bytes:
    """The archive with one member renamed in both its local header and the central directory."""
    assert len(old) == len(new), "renaming in place keeps every offset"
    return data.replace(old.encode(), new.encode())


def lying_sizes(data: bytes, name: str, declared: int) -> bytes:
    """The archive with `name`'s uncompressed size patched to `declared` in both headers."""
    patched = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    entries = struct.unpack_from("<H", data, end + 10)[0]
    offset = struct.unpack_from("<I", data, end + 16)[0]
    for _ in range(entries):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46 : offset + 46 + name_length] == name.encode():
            local = struct.unpack_from("<I", data, offset + 42)[0]
            struct.pack_into("<I", patched, offset + 24, declared)
            struct.pack_into("<I", patched, local + 22, declared)
        offset += 46 + name_length + extra_length + comment_length
    return bytes(patched)
