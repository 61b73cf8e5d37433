"""Single compressed files and datasets (JSON Lines, JSON arrays, Parquet) on real files."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from tasks.containers import Limits, Options, read_members
from tests.containers.builders import good, page, read, rejected

COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
               ".zst": zstandard.ZstdCompressor().compress}


@pytest.mark.parametrize("suffix", COMPRESSORS)
def test_a_compressed_page_is_one_member_named_without_the_suffix(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"page.html{suffix}"
    path.write_bytes(COMPRESSORS[suffix](page(1)))
    members, reading = read(path)
    assert good(members) == {"page.html": page(1)}
    assert reading.report.damage is None


def test_a_gzip_bomb_stops_at_the_ratio_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"\0" * 50_000_000))
    start = time.perf_counter()
    members, reading = read(path)
    assert time.perf_counter() - start < 3
    assert members == []
    assert "inflates more than 100x" in reading.report.damage


def test_a_compressed_page_over_the_member_limit_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "big.txt.gz"
    path.write_bytes(gzip.compress(page(1) * 2000))
    members, _ = read(path, Limits(max_member_bytes=50_000))
    assert "larger than the member limit" in rejected(members)["big.txt"]


def test_a_truncated_gzip_page_is_damage_not_a_short_page(tmp_path: Path) -> None:
    path = tmp_path / "cut.html.gz"
    path.write_bytes(gzip.compress(page(1, "words " * 5000))[:-100])
    members, reading = read(path)
    assert members == []
    assert "truncated" in reading.report.damage


def test_a_gz_holding_a_tar_is_read_as_the_tar(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("a.html")
        info.size = len(page(1))
        archive.addfile(info, io.BytesIO(page(1)))
    path = tmp_path / "export.gz"
    path.write_bytes(gzip.compress(buffer.getvalue()))
    members, reading = read(path)
    assert good(members) == {"a.html": page(1)}
    assert reading.report.kind == "tar+gzip"


def jsonl(records: list[object]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def test_jsonl_records_with_fields_and_a_line_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    path.write_bytes(
        jsonl([{"id": "a1", "text": "First story.", "url": "https://example.org/1", "title": "One",
                "date": "2024-03-05T10:00:00Z"}])
        + b"{this is not json\n\n"
        + jsonl([{"text": "Second story."}, {"id": "a1", "text": "duplicate id"}, {"body": "no text"}, [1, 2],
                 {"id": 7, "text": ""}]))
    members, reading = read(path)
    # Records are numbered by their physical line, so the numbers stay when a line is fixed.
    assert good(members) == {"a1": b"First story.", "4": b"Second story."}
    first = members[0]
    assert (first.url, first.title, first.published, first.charset) == ("https://example.org/1", "One",
                                                                         "2024-03-05", "utf-8")
    reasons = rejected(members)
    assert reasons["2"].startswith("line 2 is not JSON")
    assert "second member named 'a1'" in reasons["a1"]
    assert "no text in its 'text' field" in reasons["6"]
    assert "is a JSON list" in reasons["7"]
    assert reading.report.skipped == {"blank line": 1, "empty": 1}


def test_jsonl_gz_and_a_custom_text_field(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl([{"content": f"story {i}"} for i in range(1, 4)])))
    members, reading = read(path, options=Options(text_field="content"))
    assert good(members) == {"1": b"story 1", "2": b"story 2", "3": b"story 3"}
    assert reading.report.kind == "jsonl+gzip"


def test_jsonl_line_over_the_member_limit_is_rejected_and_the_next_kept(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(jsonl([{"text": "x" * 200_000}, {"text": "short"}]))
    members, _ = read(path, Limits(max_member_bytes=100_000))
    assert good(members) == {"2": b"short"}
    assert "line 1 is larger than the member limit" in rejected(members)["1"]


def test_json_array_is_streamed_element_by_element(tmp_path: Path) -> None:
    path = tmp_path / "records.json"
    records = [{"id": f"r{i}", "text": f"text {i} " + "é" * (i % 50), "n": 1.5e10} for i in range(20_000)]
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    members, reading = read(path)
    assert len(good(members)) == 20_000
    assert good(members)["r19999"] == ("text 19999 " + "é" * 49).encode()
    assert reading.report.damage is None


def test_json_array_damaged_in_the_middle_keeps_the_elements_before(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[{"text": "one"}, {"text": "two"} {"text": "three"}]')
    members, reading = read(path)
    assert good(members) == {"1": b"one", "2": b"two"}
    assert "expected ',' or ']'" in reading.report.damage


def test_a_json_object_is_no_container(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"text": "a"}')
    with path.open("rb") as file:
        assert read_members(path.name, file) is None
        assert file.tell() == 0


def test_parquet_rows_by_row_group_with_fields(tmp_path: Path) -> None:
    import datetime as dt

    path = tmp_path / "news.parquet"
    table = pa.table({"id": [f"p{i}" for i in range(10)], "text": [f"row {i}" for i in range(10)],
                      "url": [f"https://example.org/{i}" for i in range(10)], "title": [None] * 10,
                      "date": [dt.date(2024, 1, i + 1) for i in range(10)], "extra": list(range(10))})
    pq.write_table(table, path, row_group_size=3)
    members, reading = read(path)
    assert good(members) == {f"p{i}": f"row {i}".encode() for i in range(10)}
    assert members[4].published == "2024-01-05" and members[4].url == "https://example.org/4"
    assert members[4].title is None
    assert reading.report.damage is None


def test_parquet_without_the_text_column_is_damage_with_the_columns_named(tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"body": ["a"]}), path)
    members, reading = read(path)
    assert members == []
    assert reading.report.damage == "the Parquet file has no 'text' column (it has body)"


def test_parquet_oversized_row_groups_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "big.parquet"
    import os

    pq.write_table(pa.table({"text": [os.urandom(5_000).hex() for _ in range(50)] + ["small"]}), path,
                   row_group_size=50)
    members, reading = read(path, Limits(max_row_group_bytes=100_000))
    assert good(members) == {"51": b"small"}
    assert reading.report.skipped == {"rows in a row group larger than the limit": 50}
