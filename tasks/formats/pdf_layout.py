"""Rebuild a PDF's body text from positioned lines: reading order, furniture, paragraphs.

A PDF holds glyphs at positions, not paragraphs. pdfium hands back lines in content-stream
order with their boxes; from those boxes alone this module decides what a reader sees:
columns (a vertical gutter no line crosses, read column by column), running headers,
footers and page numbers (lines at the page's top or bottom that repeat, digits folded,
on most pages), paragraphs (a line ends its paragraph when the next line's first word
would have fitted after it, or a gap, an indent, a bullet or a font change follows),
and words hyphenated at line ends (joined unless the document shows them hyphenated).

Everything here is pure: lines in, text out, so it is tested without a PDF library.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

# pdfium marks a hyphen it found at a line end with U+FFFE (and some producers with
# U+0002 or a soft hyphen U+00AD); '-' and U+2010 are hyphens a line may end with.
HYPHEN_MARKERS = "\ufffe\x02\u00ad"
LINE_END_HYPHENS = HYPHEN_MARKERS + "-\u2010"
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
_TRANSLATION = str.maketrans({**_LIGATURES, "\u00a0": " ", "\t": " "})
_SPECIAL = re.compile("[\ufb00-\ufb06\u00ad\u00a0\t]")
# Glyphs that open a list item: bullets, Symbol/Wingdings private-use bullets, dashes.
_BULLET = re.compile(r"^\s*([\u2022\u25e6\u25aa\u25ab\u25a0\u25a1\u25cf\u25cb\u2023\u2043\u2219\u00b7\uf0a7\uf0b7\uf0d8\uf076\uf0fc\uf0a8]|[\ue000-\uf8ff])\s*")
# Left parts after which a line-end hyphen is the compound's own, when the document shows
# neither spelling. Only words that stand alone before a hyphen: short prefixes ("ex",
# "co", "pre") are where hyphenation patterns most often break plain words.
COMPOUND_PREFIXES = frozenset({"self", "well", "half", "ill"})
# A page number as furniture: "3", "- 3 -", "iii", "Page 3", "3 / 10", "Seite 3 von 10".
_PAGE_NUMBER = re.compile(r"^[\W_]*(\w+\.?\s+)?([0-9]{1,5}|[ivxlcdm]{1,7})(\s*(/|\w+)\s*[0-9]{1,5})?[\W_]*$", re.IGNORECASE)
# A line counts as furniture when its folded text sits at the page's edge on at least this
# share of the pages (and on two pages at least): even/odd headers still reach it.
FURNITURE_SHARE = 0.4
# How many lines at each edge of a page may be furniture (a header may take two lines).
EDGE_LINES = 2
# Points a line's edge may pass a gutter's edge by (glyph boxes are not exact).
_SLACK = 1.5
# Lines whose top (or bottom) differs by at most this many points are "the same place".
SAME_PLACE = 6.0


@dataclass
class Line:
    """One visual line: its text and box in points, top-down (`top` < `bottom`)."""

    text: str
    left: float
    top: float
    right: float
    bottom: float
    size: float
    # Where the first glyph sits (top-down); steadier than the box for line spacing.
    baseline: float = 0.0

    @property
    def height(self) -> float:
        return self.bottom - self.top


def normalise_chars(text: str) -> str:
    """Ligatures expanded, soft hyphens inside a line dropped, odd spaces made plain."""
    if not _SPECIAL.search(text):
        return text
    text = re.sub("\u00ad(?!\\s*$)", "", text)
    return text.translate(_TRANSLATION)


def fold(text: str) -> str:
    """A line as furniture is compared: lower-case, digits and spacing folded."""
    text = re.sub(r"\d+", "#", text.lower())
    return re.sub(r"\s+", " ", text).strip()


# --- reading order -------------------------------------------------------------------


def find_gutter(lines: list[Line], page_width: float) -> tuple[float, float] | None:
    """The vertical band in the page's middle that at least three lines on each side
    flank and the fewest lines cross (the widest of those); lines crossing it are
    full-width (titles, footers)."""
    if len(lines) < 6:
        return None
    low, high = page_width * 0.25, page_width * 0.75
    # Lines across the whole middle cross every candidate: a page of them has no gutter.
    if sum(1 for ln in lines if ln.left < low and ln.right > high) > max(2, len(lines) // 4):
        return None
    best: tuple[float, float] | None = None
    best_crossing = 0
    for edge in sorted({round(line.right) for line in lines if low - 50 < line.right < high}):
        left_side = [ln for ln in lines if ln.right <= edge + _SLACK]
        right_side = [ln for ln in lines if ln.left > edge + _SLACK + 4]
        if len(left_side) < 3 or len(right_side) < 3:
            continue
        g0 = max(ln.right for ln in left_side)
        g1 = min(ln.left for ln in right_side)
        crossing = len(lines) - len(left_side) - len(right_side)
        if not low <= (g0 + g1) / 2 <= high or crossing > max(2, len(lines) // 4):
            continue
        # Columns, not a table's cells or a stray label: both sides hold lines beside
        # each other over a good part of the page.
        if not _vertically_overlap(left_side, right_side):
            continue
        # The band fewest lines cross is the gutter; a wide gap that body lines cross
        # (beside a table cell, say) is not.
        if best is None or (crossing, g0 - g1) < (best_crossing, best[0] - best[1]):
            best, best_crossing = (g0, g1), crossing
    return best


def _vertically_overlap(a: list[Line], b: list[Line]) -> bool:
    a_top, a_bottom = min(ln.top for ln in a), max(ln.bottom for ln in a)
    b_top, b_bottom = min(ln.top for ln in b), max(ln.bottom for ln in b)
    overlap = min(a_bottom, b_bottom) - max(a_top, b_top)
    return overlap > 0.3 * min(a_bottom - a_top, b_bottom - b_top)


@dataclass
class Flow:
    """Lines read one after the other: a column, a full-width run, or one table cell
    (whose paragraphs never continue into the next flow)."""

    lines: list[Line]
    cell: bool = False


def rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped by baseline (top-down), each group left to right."""
    groups: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ln.baseline):
        if groups and abs(line.baseline - groups[-1][0].baseline) < 0.3 * max(line.size, 1.0):
            groups[-1].append(line)
        else:
            groups.append([line])
    return [sorted(group, key=lambda ln: ln.left) for group in groups]


def reading_order(lines: list[Line], page_width: float) -> list[Flow]:
    """The page's lines as flows read in order: full-width runs, and columns left to right
    between them (a full-width line ends the columns above it); tables inside a flow
    are read row by row, cell by cell."""
    ordered = [line for group in rows(lines) for line in group]
    gutter = find_gutter(ordered, page_width)
    if gutter is None:
        return _with_tables(ordered) if ordered else []
    middle = sum(gutter) / 2
    flows: list[list[Line]] = []
    left: list[Line] = []
    right: list[Line] = []
    full: list[Line] = []

    def flush_columns() -> None:
        for column in (left, right):
            if column:
                flows.append(list(column))
                column.clear()

    for line in ordered:
        if line.right <= middle:
            if full:
                flows.append(list(full))
                full.clear()
            left.append(line)
        elif line.left >= middle:
            if full:
                flows.append(list(full))
                full.clear()
            right.append(line)
        else:
            flush_columns()
            full.append(line)
    flush_columns()
    if full:
        flows.append(full)
    return [flow for lines_ in flows for flow in _with_tables(lines_)]


def _with_tables(lines: list[Line]) -> list[Flow]:
    """A flow split where a table sits in it: runs of rows with several lines side by
    side, whose cells start at the same x on two rows at least. Inside, a row ends where
    the gap to the next line is wider than the text's own line spacing."""
    groups = rows(lines)
    pitch = leading(lines)
    flows: list[Flow] = []
    plain: list[Line] = []
    i = 0
    while i < len(groups):
        region, columns = _table_at(groups, i, pitch)
        if not region:
            plain.extend(groups[i])
            i += 1
            continue
        if plain:
            flows.append(Flow(plain))
            plain = []
        flows.extend(_cells(groups[i : i + region], columns, pitch))
        i += region
    if plain:
        flows.append(Flow(plain))
    return flows


def _table_at(groups: list[list[Line]], start: int, pitch: float) -> tuple[int, list[float]]:
    """How many groups from `start` form a table, and its column starts (0 when none)."""
    if len(groups[start]) < 2:
        return 0, []
    multi = [g for g in groups[start:] if len(g) >= 2]
    lefts: list[float] = []
    for group in multi[:50]:
        for line in group[1:]:
            if not any(abs(line.left - x) < 3 for x in lefts):
                lefts.append(line.left)
    support = min(2, len(multi))
    columns = sorted([groups[start][0].left] + [x for x in lefts if sum(any(abs(ln.left - x) < 3 for ln in g[1:]) for g in multi) >= support])
    if len(columns) < 2:
        return 0, []
    count = 0
    for n, group in enumerate(groups[start:]):
        previous = groups[start + n - 1] if n else None
        if previous is not None and group[0].baseline - previous[0].baseline > 3 * pitch * group[0].size:
            break
        if not all(_in_column(ln, columns) for ln in group):
            break
        count = n + 1
    # Two rows side by side, or one (a table cut by a page break) with a cell's line below
    # it: a line that ends before the next column starts, which running text never does.
    if count < 2:
        return 0, []
    return count, columns


def _in_column(line: Line, columns: list[float]) -> bool:
    """Whether a line starts at a table column and ends before the next one starts."""
    for n, x in enumerate(columns):
        if abs(line.left - x) < 3:
            return n + 1 == len(columns) or line.right < columns[n + 1] - 1
    return False


def _cells(groups: list[list[Line]], columns: list[float], pitch: float) -> list[Flow]:
    """A table's cells, row by row. A row ends where the gap to the next line is wider
    than the text's own line spacing, or where a column takes up lines again after a
    line without it (a cell's lines are consecutive)."""
    table_rows: list[list[list[Line]]] = []
    previous: set[int] = set()
    for group in groups:
        present = {_column_of(ln, columns) for ln in group}
        step = group[0].baseline - table_rows[-1][-1][0].baseline if table_rows else None
        resumed = table_rows and any(c not in previous and any(c in _present(g, columns) for g in table_rows[-1]) for c in present)
        if step is None or step > 1.15 * pitch * group[0].size or resumed:
            table_rows.append([])
        table_rows[-1].append(group)
        previous = present
    flows = []
    for row in table_rows:
        for n in range(len(columns)):
            cell = [ln for group in row for ln in group if _column_of(ln, columns) == n]
            if cell:
                flows.append(Flow(cell, cell=True))
    return flows


def _column_of(line: Line, columns: list[float]) -> int:
    return min(range(len(columns)), key=lambda n: abs(line.left - columns[n]))


def _present(group: list[Line], columns: list[float]) -> set[int]:
    return {_column_of(ln, columns) for ln in group}


# --- furniture -----------------------------------------------------------------------


def _edges(lines: list[Line]) -> list[Line]:
    """The lines that could be a running header or footer: at most EDGE_LINES at the top
    and at the bottom of the page, set apart from the body by more than a line's height
    (page margins are wider than paragraph spacing)."""
    if len(lines) < 2:
        return list(lines)
    by_top = sorted(lines, key=lambda ln: ln.top)
    height = statistics.median(ln.height for ln in lines)
    edges: list[Line] = []
    for count in range(1, min(EDGE_LINES, len(by_top) - 1) + 1):
        if min(ln.top for ln in by_top[count:]) - max(ln.bottom for ln in by_top[:count]) > 1.5 * height:
            edges.extend(by_top[:count])
            break
    for count in range(1, min(EDGE_LINES, len(by_top) - 1) + 1):
        group = by_top[-count:]
        if min(ln.top for ln in group) - max(ln.bottom for ln in by_top[:-count]) > 1.5 * height:
            edges.extend(ln for ln in group if ln not in edges)
            break
    return edges


def furniture(pages: list[list[Line]]) -> list[set[int]]:
    """Per page, the ids (`id(line)`) of running headers, footers and page numbers.

    A line is furniture when it is among the top or bottom lines of its page and the same
    folded text sits at the same height on enough other pages; a lone page number at an
    edge is furniture even on a one-page document."""
    places: dict[str, list[float]] = defaultdict(list)
    page_edges = [_edges(lines) for lines in pages]
    for edges in page_edges:
        seen: set[str] = set()
        for line in edges:
            key = fold(line.text)
            if key and key not in seen:
                seen.add(key)
                places[key].append(line.top)
    needed = max(2, round(FURNITURE_SHARE * len(pages)))
    removed: list[set[int]] = []
    for edges in page_edges:
        ids: set[int] = set()
        for line in edges:
            key = fold(line.text)
            tops = places.get(key, [])
            same_place = [t for t in tops if abs(t - line.top) <= SAME_PLACE]
            if len(same_place) >= needed or _is_page_number(line.text):
                ids.add(id(line))
        removed.append(ids)
    return removed


def _is_page_number(text: str) -> bool:
    text = text.strip()
    return bool(text) and len(text) <= 30 and bool(_PAGE_NUMBER.match(text))


# --- paragraphs ----------------------------------------------------------------------


def _char_width(line: Line) -> float:
    return (line.right - line.left) / max(len(line.text), 1)


def _would_fit(previous: Line, following: Line, right_edge: float) -> bool:
    """Whether the first word of `following` would have fitted at the end of `previous`:
    then the break between them was the writer's, not the line-breaker's."""
    words = following.text.split()
    if not words:
        return False
    width = _char_width(following) * len(words[0]) + 0.8 * _char_width(previous)
    return right_edge - previous.right > width


def paragraphs(flow: list[Line], right_edge: float, left_edge: float, pitch: float) -> list[list[Line]]:
    # `pitch` is the flow's `leading`: line spacing relative to the font size.
    """Split one flow (a column or a full-width run, lines in order) into paragraphs."""
    blocks: list[list[Line]] = []
    for line in flow:
        if not blocks:
            blocks.append([line])
            continue
        previous = blocks[-1][-1]
        if continues(previous, line, right_edge, left_edge, pitch):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def continues(previous: Line, line: Line, right_edge: float, left_edge: float, pitch: float | None) -> bool:
    """Whether `line` goes on the paragraph that `previous` ends (None pitch: across a
    column or page break, where the gap says nothing)."""
    if _BULLET.match(line.text):
        return False
    if abs(line.size - previous.size) > 0.6:
        return False
    if pitch is not None:
        if line.baseline - previous.baseline < 0.5 * previous.size:
            return False  # beside, not below: the next cell of a table row
        if line.baseline - previous.baseline > 1.25 * pitch * previous.size + 0.5:
            return False
        if line.left - left_edge > 1.5 * _char_width(line) and previous.left - left_edge <= 1.5 * _char_width(line):
            if not _BULLET.match(previous.text):
                return False  # first-line indent
    if _ends_with_hyphen(previous.text) and line.text[:1].isalpha():
        return True
    return not _would_fit(previous, line, right_edge)


def _ends_with_hyphen(text: str) -> bool:
    """A word broken at the line end: a hyphen right after a letter ("infor-", not "a -")."""
    text = text.rstrip()
    return len(text) > 1 and text[-1] in LINE_END_HYPHENS and text[-2].isalpha()


# --- hyphenation ---------------------------------------------------------------------

_WORD_END = re.compile(r"(\w+)$")
_WORD_START = re.compile(r"^(\w+)")


_PUNCTUATION = ".,;:!?()[]{}<>\"'«»„“”‘’‚‹›…/*•·¡¿"


def hyphen_evidence(text: str) -> tuple[set[str], set[str]]:
    """The document's own spellings: pairs written with an in-line hyphen, and all words."""
    words: set[str] = set()
    hyphenated: set[str] = set()
    for token in text.lower().split():
        token = token.strip(_PUNCTUATION)
        if "-" in token or "\u2010" in token:
            parts = [p.strip(_PUNCTUATION) for p in re.split("[-\u2010]", token)]
            hyphenated.update(f"{a}-{b}" for a, b in zip(parts, parts[1:]) if a and b)  # "state-of-the-art" too
            words.update(parts)
        else:
            words.add(token)
    return hyphenated, words


def join_lines(lines: list[str], hyphenated: set[str], words: set[str], hyphenated_document: bool = True) -> str:
    """A paragraph's lines as one string, words broken at line ends put back together.

    `hyphenated_document` says whether the text was set with automatic hyphenation
    (`looks_hyphenated`): without it, a hyphen at a line end is the word's own."""
    parts: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        last = parts[-1] if parts else ""
        if not last:
            parts.append(line)
        elif last[-1] in LINE_END_HYPHENS and last[-2:-1].isalpha() and line[:1].isalpha():
            parts[-1] = last[:-1] + _rejoin(last[:-1], line, hyphenated, words, hyphenated_document)
            parts.append(line)
        elif last[-1] in "-\u2010" and last[-2:-1].isalnum() and line[:1].isalnum():
            parts.append(line)  # "2-" + "1", "CD-" + "ROM": a hyphen written between them
        else:
            parts.append(" " + line)
    return "".join(parts)


def _rejoin(before: str, after: str, hyphenated: set[str], words: set[str], hyphenated_document: bool) -> str:
    """What goes between the two halves of a word broken at a line end: '' or '-'."""
    left_match, right_match = _WORD_END.search(before[-80:]), _WORD_START.match(after)
    if not left_match or not right_match:
        return "-"
    left, right = left_match.group(1), right_match.group(1)
    if left.isupper() and right.isupper():
        left, right = left.lower(), right.lower()  # a word in capitals: "ПРАВ-" + "ДА"
    if not right[0].islower():
        return "-"  # "Max-Planck", "CSU-Abgeordnete": a hyphen before a capital is written
    if right.lower() in SUSPENDING_CONJUNCTIONS:
        return "- "  # "Objekt- und Lieferantenbonität": the hyphen stands for a shared part
    if f"{left}-{right}".lower() in hyphenated:
        return "-"
    if (left + right).lower() in words:
        return ""
    if left.lower() in COMPOUND_PREFIXES or not hyphenated_document:
        return "-"
    return ""


# Words after which a line-end hyphen is a suspended one ("Ein- und Ausgang", "pre- and
# post-war"): conjunctions that no hyphenation pattern leaves as a word's last syllable.
SUSPENDING_CONJUNCTIONS = frozenset({"und", "oder", "bzw", "and", "et", "ou", "y", "e", "o", "i", "и", "или", "και", "ή", "lub", "oraz"})
# Automatic hyphenation breaks several lines in a hundred; without it, only compounds
# written with a hyphen end a line with one (seed 1: 0.22-0.38 of lines against 0-0.01).
HYPHENATED_SHARE = 0.05


def looks_hyphenated(lines: list[str]) -> bool:
    """Whether enough lines end in a broken word for the text to be hyphenated by machine."""
    if not lines:
        return False
    broken = sum(1 for a, b in zip(lines, lines[1:]) if _ends_with_hyphen(a) and b.lstrip()[:1].islower())
    return broken >= HYPHENATED_SHARE * len(lines)


_MARKERS = str.maketrans({marker: "-" for marker in HYPHEN_MARKERS})


def split_markers(text: str) -> str:
    """Hyphen markers left after joining (a word broken before a capital) become hyphens."""
    return text.translate(_MARKERS)


def strip_bullet(text: str) -> str:
    return _BULLET.sub("", text, count=1) if _BULLET.match(text) else text


def clean_text(text: str) -> str:
    if "  " in text or "\t" in text:
        text = re.sub(r"[ \t]+", " ", text)
    return unicodedata.normalize("NFC", text).strip()


def leading(flow: list[Line]) -> float:
    """The flow's usual baseline-to-baseline distance as a multiple of the font size."""
    steps = [
        (b.baseline - a.baseline) / a.size
        for a, b in zip(flow, flow[1:])
        if abs(a.size - b.size) < 0.6 and a.size > 0 and b.baseline - a.baseline > 0.5 * a.size
    ]
    return statistics.median(steps) if steps else 1.2


def is_bullet(text: str) -> bool:
    """Whether a line holds a list bullet and nothing else."""
    return bool(text.strip()) and not _BULLET.sub("", text, count=1).strip()
