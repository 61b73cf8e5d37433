"""Plain text: any file no other format claims, read as an article.

The seed documents carry a `date YYYY-MM-DD` header, which becomes the published date;
a short first paragraph that reads as a headline becomes the title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tasks.formats.base import Extracted, FileFormat, Hints
from tasks.formats.textual import decoded
from tasks.whitespace import folded

_DATE_HEADER = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*(\n?)")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_HEADLINE_MAX_CHARS = 150
# A sentence ends with one of these; a headline does not (a question mark is allowed).
_SENTENCE_END = (".", ",", ";", ":", "…")


@dataclass
class TextParts:
    text: str
    published: str | None = None
    title: str | None = None


def split_date_header(text: str) -> TextParts:
    """Take a leading `date YYYY-MM-DD` header off the text as the date; find the headline.

    When the header shares its line with the text ("date 2025-01-22 Chinese President …"),
    the first paragraph is the article's first sentence, never a headline.
    """
    match = _DATE_HEADER.match(text)
    if match is not None and _valid_date(match.group(1)):
        body = text[match.end() :]
        title = headline(body) if match.group(2) else None
        return TextParts(body, match.group(1), title)
    return TextParts(text, title=headline(text))


def headline(text: str) -> str | None:
    """The first paragraph when it reads as a headline: one short line without a sentence end,
    followed by a blank line and more text."""
    parts = _PARAGRAPH_BREAK.split(text.strip(), maxsplit=1)
    if len(parts) < 2 or not parts[1].strip():
        return None
    first = folded(parts[0])
    if "\n" in parts[0].strip() or not first or len(first) > _HEADLINE_MAX_CHARS:
        return None
    if first.endswith(_SENTENCE_END) or not any(ch.isalpha() for ch in first):
        return None
    return first


def _valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def extract(data: bytes, hints: Hints) -> Extracted:
    """Entities are decoded too: text files saved from web pages often keep `&amp;` and the like."""
    from tasks.repair import repair

    text, encoding = decoded(data)
    parts = split_date_header(repair(text, entities=True))
    return Extracted(text=parts.text, title=parts.title, published=parts.published, encoding=encoding)


def _sniff(data: bytes) -> bool:
    """Text is what is left when no other format claims the bytes; it claims none by itself."""
    return False


FORMAT = FileFormat(
    name="text", extensions=frozenset({".txt", ".text"}), sniff=_sniff, extract=extract, binary=False
)
