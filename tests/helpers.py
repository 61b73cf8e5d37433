"""Small builders shared by the test modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.access import export_records

ARTICLE = (
    "The city council met on {n} occasions this year to discuss the harbour, the new tram line "
    "and the budget for schools. Residents of district {n} asked for longer library hours.\n\n"
    "Officials said the plan for district {n} would be published before the summer."
)


def make_corpus(folder: Path, count: int) -> Path:
    """`count` distinct English articles in seven folders, plus one exact copy sorted last."""
    for n in range(count):
        sub = folder / f"part{n % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"doc{n:04d}.txt").write_text(ARTICLE.format(n=n), encoding="utf-8")
    (folder / "zz-copies").mkdir(exist_ok=True)
    (folder / "zz-copies" / "copy.txt").write_text(ARTICLE.format(n=3), encoding="utf-8")
    return folder


def comparable(url: str, all_versions: bool = True) -> list[dict[str, Any]]:
    """The export without the fields that differ between two runs of the same content."""
    return [
        {k: v for k, v in r.items() if k not in {"ingested_at", "flow_run_id"}}
        for r in export_records(url, all_versions=all_versions)
    ]
