"""A small real corpus for the browser's tests and screenshots: two ingests with edits,
copies, near copies, rejections, a deletion and hostile keys and titles."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = next(p for p in (ROOT / "seeds").iterdir() if not p.name.startswith("."))

HOSTILE_TITLE = "<script>alert(1)</script> & \"quotes\""
HOSTILE_KEYS = {
    "quotes": "it's \"quoted\".txt",
    "dots": "a..b/c..d.txt",
    "percent": "pct%2Fslash.txt",
    "hash": "hash#tag?x=1.txt",
    "diff_folder": "notes/diff",
}
ARTICLES = [
    "The harbour authority approved a new ferry line between the old town and the islands. Boats will leave every "
    "forty minutes from April, and tickets cost the same as a tram ride. Residents had asked for the line for years.",
    "Schools in the northern district will open their libraries on Saturdays. Teachers volunteered for the first "
    "term, and the council will pay for extra staff if the trial is a success. Parents welcomed the plan.",
    "A storm closed the coastal road for two days. Engineers inspected the sea wall and found cracks near the "
    "lighthouse. Repairs are expected to take three weeks and the road will reopen one lane at a time.",
]


def _near_copy(text: str) -> str:
    """The seed text with a handful of words changed and a closing line: a near copy."""
    words = text.split(" ")
    for i in range(7, len(words), 60):
        words[i] = "altered"
    return " ".join(words) + "\nThis copy was syndicated by another site."


def first_run_files(source: Path) -> None:
    source.mkdir(parents=True, exist_ok=True)
    (source / "news").mkdir(exist_ok=True)
    seed_text = SEED.read_text(encoding="utf-8")
    (source / "news" / "seed.txt").write_text(seed_text, encoding="utf-8")
    (source / "news" / "syndicated.txt").write_text(_near_copy(seed_text), encoding="utf-8")
    (source / "news" / "mirror.txt").write_text(seed_text, encoding="utf-8")
    for n, text in enumerate(ARTICLES):
        (source / "city").mkdir(exist_ok=True)
        (source / "city" / f"article-{n}.txt").write_text(text, encoding="utf-8")
    (source / "hostile.html").write_text(
        "<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"quotes\"</title></head><body><article>"
        "<p>" + " ".join(["This page tries to inject a script through its title and stays harmless."] * 6) + "</p>"
        "<p><img src=x onerror=alert(2)> Nothing here should run in the browser.</p></article></body></html>",
        encoding="utf-8",
    )
    for name, key in HOSTILE_KEYS.items():
        path = source / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"A document stored under a tricky key ({name}). " * 8, encoding="utf-8")
    (source / "broken").mkdir(exist_ok=True)
    (source / "broken" / "empty.txt").write_bytes(b"")
    (source / "broken" / "blank.txt").write_text("   \n\n  ", encoding="utf-8")
    (source / "broken" / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)


def second_run_files(source: Path) -> None:
    article = source / "city" / "article-0.txt"
    article.write_text(
        article.read_text(encoding="utf-8").replace("forty minutes", "thirty minutes").replace("April", "March")
        + "\n\nThe first boat is named after the harbour's founder.",
        encoding="utf-8",
    )
    (source / "city" / "article-2.txt").unlink()
    (source / "city" / "article-3.txt").write_text(
        "The botanical garden opened a greenhouse for desert plants. Visitors can walk through it on weekdays.",
        encoding="utf-8",
    )


def build(source: Path, db_url: str) -> list[dict[str, Any]]:
    """Two real ingests of `source` into `db_url`; returns their reports."""
    from flows.ingest import ingest

    first_run_files(source)
    reports = [ingest(source=str(source), db=db_url, retry_delay_seconds=0)]
    second_run_files(source)
    reports.append(ingest(source=str(source), db=db_url, retry_delay_seconds=0))
    return reports
