"""Datasets: JSON Lines, JSON arrays and Parquet, one record per document.

A record's text comes from `Options.text_field`; `id`, `url`, `title` and `date` are
taken when present. A record is named by its `id`, or by its 1-based line (JSONL),
element (JSON array) or row (Parquet) number. JSONL is read line by line and a JSON
array element by element, so neither is ever held whole; Parquet is read one row group
at a time (pyarrow needs a seekable file for its footer).
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from tasks.containers.base import ContainerDamage, Limits, Member, Options, Report
from tasks.containers.names import UniqueNames
from tasks.containers.streams import too_large

_CHUNK = 1 << 16
_ISO_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}")
_WHITESPACE = " \t\r\n"


class _Records:
    """Turns decoded records into members, naming them uniquely."""

    def __init__(self, options: Options, limits: Limits, report: Report) -> None:
        self._options = options
        self._limits = limits
        self._report = report
        self._names = UniqueNames()

    def member(self, record: Any, number: int) -> Member | None:
        if not isinstance(record, dict):
            return Member(str(number), rejected=f"record {number} is a JSON {type(record).__name__}, not an object")
        identifier = record.get("id")
        name = str(identifier) if isinstance(identifier, (str, int)) and str(identifier) else str(number)
        problem = self._names.problem(name, path=False)
        if problem:
            return Member(name, rejected=problem)
        text = record.get(self._options.text_field)
        if not isinstance(text, str):
            return Member(name, rejected=f"record {number} has no text in its {self._options.text_field!r} field")
        if not text.strip():
            self._report.skip("empty")
            return None
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > self._limits.max_member_bytes:
            return Member(name, rejected=too_large(self._limits.max_member_bytes))
        return Member(name, data, url=_string(record.get("url")), published=_date(record.get("date")),
                      charset="utf-8", content_type="text/plain", title=_string(record.get("title")))


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _date(value: Any) -> str | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value[:10]
    return None


def read_jsonl(stream: BinaryIO, limits: Limits, options: Options, report: Report) -> Iterator[Member]:
    lines = io.BufferedReader(stream, _CHUNK)  # type: ignore[arg-type]
    records = _Records(options, limits, report)
    number = 0
    while line := lines.readline(limits.max_member_bytes + 1):
        number += 1
        if len(line) > limits.max_member_bytes and not line.endswith(b"\n"):
            while (rest := lines.readline(_CHUNK)) and not rest.endswith(b"\n"):
                pass
            yield Member(str(number), rejected=f"line {number} is " + too_large(limits.max_member_bytes))
            continue
        if not line.strip():
            report.skip("blank line")
            continue
        try:
            record = json.loads(line)
        except (ValueError, UnicodeDecodeError) as error:
            yield Member(str(number), rejected=f"line {number} is not JSON: {error}")
            continue
        member = records.member(record, number)
        if member is not None:
            yield member


def read_json_array(stream: BinaryIO, limits: Limits, options: Options, report: Report) -> Iterator[Member]:
    """A top-level JSON array, element by element: at most one element (bounded) is in memory."""
    reader = _ArrayReader(stream, limits)
    records = _Records(options, limits, report)
    number = 0
    for element in reader.elements():
        number += 1
        member = records.member(element, number)
        if member is not None:
            yield member


class _ArrayReader:
    def __init__(self, stream: BinaryIO, limits: Limits) -> None:
        self._stream = stream
        self._limits = limits
        self._decoder = json.JSONDecoder()
        self._utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        self._text = ""
        self._at = 0
        self._eof = False

    def _more(self, size: int = _CHUNK) -> bool:
        if self._eof:
            return False
        data = self._stream.read(size)
        try:
            self._text = self._text[self._at:] + self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise ContainerDamage(f"the JSON is not UTF-8: {error}") from None
        self._at = 0
        self._eof = not data
        return True

    def _next_char(self) -> str:
        while True:
            while self._at < len(self._text) and self._text[self._at] in _WHITESPACE:
                self._at += 1
            if self._at < len(self._text):
                return self._text[self._at]
            if not self._more():
                return ""

    def elements(self) -> Iterator[Any]:
        if self._next_char() != "[":
            raise ContainerDamage("the JSON file is not an array of records")
        self._at += 1
        if self._next_char() == "]":
            return
        count = 0
        while True:
            yield self._element(count)
            count += 1
            char = self._next_char()
            self._at += 1
            if char == "]":
                return
            if char != ",":
                raise ContainerDamage(f"the JSON array is damaged after element {count}: expected ',' or ']'")
            self._next_char()

    def _element(self, count: int) -> Any:
        size = _CHUNK
        while True:
            try:
                value, end = self._decoder.raw_decode(self._text, self._at)
            except json.JSONDecodeError as error:
                if len(self._text) - self._at > self._limits.max_member_bytes:
                    raise ContainerDamage(f"JSON array element {count + 1} is "
                                          + too_large(self._limits.max_member_bytes)) from None
                if not self._more(size):
                    raise ContainerDamage(f"the JSON array is damaged in element {count + 1}: {error}") from None
                size = min(2 * size, self._limits.max_member_bytes)  # geometric reads: no quadratic re-parsing
                continue
            # A number at the end of the buffer may go on in the next chunk.
            if end == len(self._text) and not self._eof:
                self._more(size)
                continue
            self._at = end
            return value


def read_parquet(stream: BinaryIO, limits: Limits, options: Options, report: Report) -> Iterator[Member]:
    import pyarrow
    import pyarrow.parquet as parquet

    try:
        table = parquet.ParquetFile(stream)
    except (pyarrow.ArrowException, OSError, ValueError) as error:
        raise ContainerDamage(f"not a readable Parquet file: {error}") from None
    columns = table.schema_arrow.names
    if options.text_field not in columns:
        raise ContainerDamage(f"the Parquet file has no {options.text_field!r} column (it has {', '.join(columns)})")
    wanted = [c for c in dict.fromkeys((options.text_field, "id", "url", "title", "date")) if c in columns]
    records = _Records(options, limits, report)
    number = 0
    for group in range(table.num_row_groups):
        meta = table.metadata.row_group(group)
        if meta.total_byte_size > limits.max_row_group_bytes:
            report.skip("rows in a row group larger than the limit", meta.num_rows)
            number += meta.num_rows
            continue
        try:
            rows = table.read_row_group(group, columns=wanted)
        except (pyarrow.ArrowException, OSError, ValueError) as error:
            raise ContainerDamage(f"Parquet row group {group + 1} is damaged: {error}") from None
        for batch in rows.to_batches(max_chunksize=1024):
            for record in batch.to_pylist():
                number += 1
                member = records.member(record, number)
                if member is not None:
                    yield member
