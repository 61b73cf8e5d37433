"""Geometry of the dashboard's charts, drawn as inline SVG by the templates.

Every bar carries its label and number as text, and the series of a stacked bar differ
by fill pattern as well as shade, so the charts read the same printed in grey or to a
person who does not tell the colours apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The run outcomes stacked per run, each with the SVG pattern the templates define.
SERIES = (("new", "solid"), ("updated", "hatch"), ("deleted", "dots"), ("rejected", "cross"))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float  # share of the widest bar, 0..1
    link: str | None = None


def bars(items: Sequence[dict[str, Any]], link: str | None = None, limit: int = 12) -> list[Bar]:
    """Horizontal bars of the largest `limit` items (`{"value", "count"}`), the rest summed as "other"."""
    shown = list(items[:limit])
    rest = sum(item["count"] for item in items[limit:])
    top = max([item["count"] for item in shown] + [rest, 1])
    out = [
        Bar(str(item["value"]) or "(none)", item["count"], item["count"] / top,
            f"{link}{item['value']}" if link and item["value"] else None)
        for item in shown
    ]
    if rest:
        out.append(Bar(f"{len(items) - limit} others", rest, rest / top))
    return out


@dataclass(frozen=True)
class Segment:
    series: str
    pattern: str
    value: int
    y: float  # from the top of the plot, in plot units
    height: float


@dataclass(frozen=True)
class Column:
    run: dict[str, Any]
    label: str
    total: int
    segments: list[Segment]


@dataclass(frozen=True)
class Timeline:
    columns: list[Column]
    top: int  # the y axis' maximum
    ticks: list[int]


def _nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^n at or above `value`, so the axis has round ticks."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def timeline(runs: Sequence[dict[str, Any]], height: float = 160.0) -> Timeline:
    """One stacked column per run (oldest first): documents new, updated, deleted, rejected."""
    totals = [sum(int(run["counts"].get(name, 0)) for name, _ in SERIES) for run in runs]
    top = _nice_top(max(totals + [1]))
    columns = []
    for run, total in zip(runs, totals):
        y, segments = height, []
        for name, pattern in SERIES:
            value = int(run["counts"].get(name, 0))
            if value:
                size = height * value / top
                y -= size
                segments.append(Segment(name, pattern, value, y, size))
        started: datetime = run["started_at"]
        columns.append(Column(run, started.strftime("%m-%d %H:%M"), total, segments))
    return Timeline(columns, top, [top * i // 4 for i in range(5)])
