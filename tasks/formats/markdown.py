"""Markdown files, turned into the plain text a reader sees: markup characters gone, words kept.

Not a renderer: a line-by-line pass that removes what only formats (heading marks,
emphasis, bullets, quote marks, rules, link targets, images, front matter, inline HTML
tags) and keeps what is read (link and heading text, code, table cells). Text inside
code fences and code spans is kept exactly, since there `*` or `_` mean themselves.
"""

from __future__ import annotations

import re

from tasks.formats.base import Extracted, FileFormat, Hints
from tasks.formats.textual import decoded

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_RULE_OR_UNDERLINE = re.compile(r"^[ \t]{0,3}(?:(?:[-*_][ \t]*){3,}|=+[ \t]*)$")
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$")
_LINK_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+")
_BLOCKQUOTE = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+(?:\[[ xX]\][ \t]+)?")
_TABLE_ROW = re.compile(r"^[ \t]*\|(.*?)\|?[ \t]*$")
_CELL_BORDER = re.compile(r"[ \t]*\|[ \t]*")

# Every span is bounded (and emphasis cannot contain its own marker) so that a long line
# of unmatched `*`, `[` or backticks costs linear time, not quadratic.
_SPAN = 1000
_NESTING = 4
# Pieces of a line that are taken literally: code spans and backslash escapes.
_LITERAL = re.compile(rf"(`+)([^`]{{1,{_SPAN}}}?)\1|\\([!-/:-@\[-`{{-~])")
_MARKUP = (
    (re.compile(rf"<!--.{{0,{_SPAN}}}?-->"), ""),
    (re.compile(rf"!\[[^\[\]]{{0,{_SPAN}}}\](?:\([^)]{{0,{_SPAN}}}\)|\[[^\[\]]{{0,{_SPAN}}}\])"), ""),
    (re.compile(rf"\[([^\[\]]{{1,{_SPAN}}})\]\([^)]{{0,{_SPAN}}}\)"), r"\1"),
    (re.compile(rf"\[([^\[\]]{{1,{_SPAN}}})\]\[[^\[\]]{{0,{_SPAN}}}\]"), r"\1"),
    (re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>"), r"\1"),
    (re.compile(rf"</?[A-Za-z][A-Za-z0-9-]{{0,{_SPAN}}}(?:\s[^<>]{{0,{_SPAN}}})?/?>"), ""),
)
_EMPHASIS = (
    re.compile(rf"\*\*(?=[^\s*])([^*]{{1,{_SPAN}}}?)(?<=[^\s*])\*\*"),
    re.compile(rf"(?<!\w)__(?=[^\s_])([^_]{{1,{_SPAN}}}?)(?<=[^\s_])__(?!\w)"),
    re.compile(rf"\*(?=[^\s*])([^*]{{1,{_SPAN}}}?)(?<=[^\s*])\*"),
    re.compile(rf"(?<!\w)_(?=[^\s_])([^_]{{1,{_SPAN}}}?)(?<=[^\s_])_(?!\w)"),
    re.compile(rf"~~(?=[^\s~])([^~]{{1,{_SPAN}}}?)(?<=[^\s~])~~"),
)


def markdown_to_text(source: str) -> str:
    """The readable text of a Markdown document, one paragraph per block as in the source."""
    lines: list[str] = []
    fence: str | None = None
    for line in _FRONT_MATTER.sub("", source, count=1).split("\n"):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            else:
                lines.append(line)
            continue
        if opening:
            fence = opening.group(1)
            continue
        if _RULE_OR_UNDERLINE.match(line):
            lines.append("")
            continue
        if _TABLE_SEPARATOR.match(line) or _LINK_DEFINITION.match(line):
            continue
        lines.append(_inline(_block(line)))
    return "\n".join(lines)


def _block(line: str) -> str:
    """The line without its block markers: quote marks, heading hashes, bullet, table pipes."""
    line = _BLOCKQUOTE.sub("", line)
    heading = _HEADING.match(line)
    if heading:
        return heading.group(1) or ""
    line = _BULLET.sub(r"\1", line)
    row = _TABLE_ROW.match(line)
    if row:
        return _CELL_BORDER.sub("  ", row.group(1)).strip()
    return line


def _inline(line: str) -> str:
    """Inline markup removed outside code spans and escapes, which are kept literally."""
    pieces: list[str] = []
    position = 0
    for literal in _LITERAL.finditer(line):
        pieces.append(_strip_inline(line[position : literal.start()]))
        pieces.append(literal.group(2) if literal.group(2) is not None else literal.group(3))
        position = literal.end()
    pieces.append(_strip_inline(line[position:]))
    return "".join(pieces)


def _strip_inline(text: str) -> str:
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    # Inner emphasis goes first (`**a *b* c**`), so repeat, as deep as prose nests it.
    for _ in range(_NESTING):
        stripped = text
        for pattern in _EMPHASIS:
            stripped = pattern.sub(r"\1", stripped)
        if stripped == text:
            break
        text = stripped
    return text


def extract(data: bytes, hints: Hints) -> Extracted:
    """Entities are decoded after the markup is gone: Markdown writes `&amp;` for a literal `&`."""
    from tasks.repair import repair

    text, encoding = decoded(data)
    return Extracted(text=repair(markdown_to_text(text), entities=True), encoding=encoding)


def _sniff(data: bytes) -> bool:
    """Markdown is plain text to a byte sniffer: only its extension names it."""
    return False


FORMAT = FileFormat(
    name="markdown", extensions=frozenset({".md", ".markdown"}), sniff=_sniff, extract=extract, binary=False
)
