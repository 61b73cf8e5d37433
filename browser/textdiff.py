"""Word-level comparison of two texts, for a version diff and a cluster's side-by-side view.

Lines are matched first, then the words of each changed block, so a one-word edit in a
long paragraph highlights that word. difflib is quadratic in the worst case, so inputs
past a size bound are compared line by line only, and long unchanged stretches collapse
to a few lines of context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

# Word-diff a changed block only while both sides stay under this many tokens.
MAX_BLOCK_TOKENS = 4000
# Compare lines at all only up to this many lines a side (beyond: the rest is shown as changed).
MAX_LINES = 20000
# Passages of two cluster members are compared on at most this many tokens each.
MAX_PASSAGE_TOKENS = 20000
CONTEXT = 3
# A word with the whitespace after it (and any leading whitespace on its own): words are
# compared without their whitespace, so re-wrapped lines do not read as changed words.
_TOKENS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass
class Row:
    """One row of a side-by-side diff: the old side, the new side, how they relate."""

    kind: str  # "equal", "replace", "delete", "insert" or "skip" (collapsed unchanged lines)
    old: list[Segment] = field(default_factory=list)
    new: list[Segment] = field(default_factory=list)
    old_line: int | None = None
    new_line: int | None = None
    skipped: int = 0


@dataclass
class Diff:
    rows: list[Row]
    words_added: int
    words_removed: int
    exact: bool  # False when a bound made part of it line-level only


def tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def _words(segments: list[Segment]) -> int:
    return sum(len(s.text.split()) for s in segments if s.changed)


def word_segments(old: str, new: str, limit: int = MAX_BLOCK_TOKENS) -> tuple[list[Segment], list[Segment], bool]:
    """Both texts cut into shared and changed runs of words; (old, new, whether word-level)."""
    a, b = tokens(old), tokens(new)
    if len(a) > limit or len(b) > limit:
        return [Segment(old, True)] if old else [], [Segment(new, True)] if new else [], False
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.extend(_run("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.extend(_run("".join(b[j1:j2]), tag != "equal"))
    return _merged(left), _merged(right), True


def _run(text: str, changed: bool) -> list[Segment]:
    """A run of tokens; a changed run's trailing whitespace is not part of the change."""
    words = text.rstrip()
    if not changed or words == text:
        return [Segment(text, changed)]
    return [Segment(words, True), Segment(text[len(words):], False)]


def _merged(segments: list[Segment]) -> list[Segment]:
    """Adjacent runs of one kind as one, and whitespace-only changes shown as unchanged."""
    out: list[Segment] = []
    for segment in segments:
        changed = segment.changed and bool(segment.text.strip())
        if out and out[-1].changed == changed:
            out[-1] = Segment(out[-1].text + segment.text, changed)
        else:
            out.append(Segment(segment.text, changed))
    return out


def diff(old: str, new: str, context: int = CONTEXT) -> Diff:
    """Side-by-side rows of the two texts' differences, unchanged stretches collapsed."""
    a, b = old.splitlines(), new.splitlines()
    exact = len(a) <= MAX_LINES and len(b) <= MAX_LINES
    if exact:
        opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    else:
        opcodes = [("replace", 0, len(a), 0, len(b))]
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            rows.extend(_equal_rows(a, i1, i2, j1, context, first=not rows, last=(i2 == len(a))))
            continue
        left_text, right_text = "\n".join(a[i1:i2]), "\n".join(b[j1:j2])
        left, right, word_level = word_segments(left_text, right_text)
        exact = exact and word_level
        kind = {"replace": "replace", "delete": "delete", "insert": "insert"}[tag]
        rows.append(Row(kind, left, right, i1 + 1 if i2 > i1 else None, j1 + 1 if j2 > j1 else None))
    added = sum(_words(r.new) for r in rows)
    removed = sum(_words(r.old) for r in rows)
    return Diff(rows, added, removed, exact)


def _equal_rows(lines: list[str], i1: int, i2: int, j1: int, context: int, first: bool, last: bool) -> list[Row]:
    """Unchanged lines: all of a short stretch, else `context` lines either side of a change."""
    def row(i: int) -> Row:
        segment = [Segment(lines[i], False)]
        return Row("equal", segment, segment, i + 1, j1 + (i - i1) + 1)

    head = 0 if first else context
    tail = 0 if last else context
    if i2 - i1 <= head + tail + 1:
        return [row(i) for i in range(i1, i2)]
    rows = [row(i) for i in range(i1, i1 + head)]
    rows.append(Row("skip", skipped=i2 - i1 - head - tail))
    rows.extend(row(i) for i in range(i2 - tail, i2))
    return rows


@dataclass
class Passages:
    """Two texts as shared and differing passages, and the share of words they have in common."""

    left: list[Segment]
    right: list[Segment]
    shared_ratio: float
    truncated: bool


def passages(left: str, right: str, limit: int = MAX_PASSAGE_TOKENS) -> Passages:
    """What two near copies share and where they differ, word by word, within a size bound."""
    a, b = tokens(left), tokens(right)
    truncated = len(a) > limit or len(b) > limit
    a, b = a[:limit], b[:limit]
    ours, theirs, _ = word_segments("".join(a), "".join(b), limit=limit)
    words = max(len("".join(a).split()) + len("".join(b).split()), 1)
    shared = sum(len(s.text.split()) for s in ours + theirs if not s.changed)
    return Passages(ours, theirs, shared / words, truncated)
