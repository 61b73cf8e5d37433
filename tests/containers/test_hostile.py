"""Damaged and random containers: whatever the bytes, reading ends with members and a report.

Each valid container is cut at many points and has bytes flipped; no exception may
escape the iteration, and everything yielded before the damage is a real member.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.containers import Limits, read_members
from tests.containers.builders import page, response, warc_writer


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(5):
            archive.writestr(f"d/{i}.html", page(i, "text " * 50))
    return out.getvalue()


def _tar_gz() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for i in range(5):
            data = page(i, "text " * 50)
            info = tarfile.TarInfo(f"d/{i}.html")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _warc_gz() -> bytes:
    out = io.BytesIO()
    writer = warc_writer(out)
    for i in range(5):
        response(writer, f"https://example.org/{i}", page(i, "text " * 50))
    return out.getvalue()


def _jsonl_gz() -> bytes:
    return gzip.compress(b"".join(json.dumps({"text": f"story {i}"}).encode() + b"\n" for i in range(5)))


SAMPLES: dict[str, Callable[[], bytes]] = {"x.zip": _zip, "x.tar.gz": _tar_gz, "x.warc.gz": _warc_gz,
                                           "x.jsonl.gz": _jsonl_gz}
BUILT = {name: build() for name, build in SAMPLES.items()}
SMALL = Limits(max_member_bytes=1_000_000, ratio_floor=100_000)


def drain(name: str, data: bytes) -> None:
    reading = read_members(name, io.BytesIO(data), SMALL)
    if reading is None:
        return
    for member in reading.members:
        assert member.rejected is None or member.data == b""


@pytest.mark.parametrize("name", SAMPLES)
def test_every_truncation_point_ends_cleanly(name: str) -> None:
    data = BUILT[name]
    for cut in range(0, len(data), max(1, len(data) // 150)):
        drain(name, data[:cut])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SAMPLES)), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                                              min_size=1, max_size=8))
def test_flipped_bytes_never_raise(name: str, flips: list[tuple[int, int]]) -> None:
    data = bytearray(BUILT[name])
    for at, value in flips:
        data[at % len(data)] = value
    drain(name, bytes(data))


def test_random_bytes_behind_each_signature_never_raise(tmp_path: Path) -> None:
    rng = random.Random(16)
    for head in (b"PK\x03\x04", b"\x1f\x8b\x08\x00", b"BZh9", b"\xfd7zXZ\x00", b"(\xb5/\xfd", b"WARC/1.0\r\n", b"PAR1"):
        for _ in range(20):
            drain("x", head + rng.randbytes(rng.randrange(0, 3000)))
