"""The ZIP reader under the ZIP-based formats: limits before and while inflating, unsafe names."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from tasks.formats.base import Rejected
from tasks.formats.safe_zip import SafeZip, ZipLimits, unsafe_name
from tests.formats.hostile import lying_sizes, with_bomb, with_renamed_member


def archive(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def test_reads_members_of_a_sound_archive() -> None:
    safe = SafeZip(archive({"a.txt": b"alpha", "dir/b.txt": b"beta" * 1000}))
    assert safe.names() == ["a.txt", "dir/b.txt"]
    assert safe.read("dir/b.txt") == b"beta" * 1000


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "../../evil.txt",
        "a/../../evil.txt",
        "/etc/passwd",
        "\\windows\\evil",
        "..\\evil.txt",
        "C:/evil.txt",
        "a/..\\..\\evil",
    ],
)
def test_unsafe_member_names_reject_the_archive(name: str) -> None:
    with pytest.raises(Rejected, match="unsafe member name"):
        SafeZip(archive({"ok.txt": b"x", name: b"y"}))


def test_a_nul_byte_in_a_member_name_rejects_the_archive() -> None:
    # zipfile cuts the name at the NUL byte; the local header still holds the whole name.
    data = with_renamed_member(archive({"evil.txt_.xml": b"y"}), "evil.txt_.xml", "evil.txt\x00.xml")
    with pytest.raises(Rejected, match="unsafe member name"):
        SafeZip(data)


def test_ordinary_names_are_safe() -> None:
    assert not any(unsafe_name(name) for name in ["word/document.xml", "OEBPS/a..b.xhtml", "[Content_Types].xml"])


def test_a_zip_bomb_is_refused_from_its_directory_before_inflating() -> None:
    bomb = with_bomb(archive({"a.txt": b"x"}), "bomb.bin", 120 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(Rejected, match="zip bomb refused"):
        SafeZip(bomb)
    assert time.perf_counter() - started < 1


def test_the_compression_ratio_is_limited() -> None:
    data = with_bomb(archive({"a.txt": b"x"}), "zeros.bin", 5 * 1024 * 1024)
    with pytest.raises(Rejected, match="inflates .*:1"):
        SafeZip(data)


def test_the_total_declared_size_is_limited() -> None:
    members = {f"part{n}.bin": bytes(range(256)) * 400 for n in range(20)}
    with pytest.raises(Rejected, match="in all"):
        SafeZip(archive(members), limits=ZipLimits(max_total_bytes=1_000_000))


def test_the_member_count_is_limited() -> None:
    with pytest.raises(Rejected, match="members, more than"):
        SafeZip(archive({f"{n}.txt": b"" for n in range(50)}), limits=ZipLimits(max_members=10))


def test_a_member_that_inflates_past_its_declared_size_is_stopped() -> None:
    data = lying_sizes(archive({"a.txt": b"x", "big.bin": bytes(3 * 1024 * 1024)}), "big.bin", 1000)
    safe = SafeZip(data)
    with pytest.raises(Rejected, match="corrupt ZIP archive: member 'big.bin'"):
        safe.read("big.bin")


def test_inflating_stops_at_the_limit_of_one_read() -> None:
    safe = SafeZip(archive({"mimetype": b"application/epub+zip" * 1000}))
    with pytest.raises(Rejected, match="inflates past the size limit"):
        safe.read("mimetype", max_bytes=1024)


def test_only_stored_and_deflated_members_are_read() -> None:
    with pytest.raises(Rejected, match="unsupported ZIP compression method 12"):
        SafeZip(archive({"a.txt": b"x" * 100}, zipfile.ZIP_BZIP2))


def test_encrypted_members_are_refused() -> None:
    data = bytearray(archive({"a.txt": b"x"}))
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1
    data[8] |= 0x1
    with pytest.raises(Rejected, match="needs a password"):
        SafeZip(bytes(data))


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty file"), (b"hello", "no ZIP signature"), (b"PK\x03\x04" + bytes(40), "corrupt ZIP archive")],
)
def test_empty_foreign_and_truncated_bytes(data: bytes, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        SafeZip(data)


def test_a_truncated_archive_is_corrupt() -> None:
    data = archive({"a.txt": b"alpha" * 1000, "b.txt": b"beta"})
    with pytest.raises(Rejected, match="corrupt"):
        SafeZip(data[: len(data) // 2]).read_all()
