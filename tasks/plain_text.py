"""Plain-text articles: the `date YYYY-MM-DD` header the seed documents carry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_DATE_HEADER = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*\n?")


@dataclass
class TextParts:
    text: str
    published: str | None = None
    title: str | None = None


def split_date_header(text: str) -> TextParts:
    """Take a leading `date YYYY-MM-DD` header off the text and return it as the date."""
    match = _DATE_HEADER.match(text)
    if match is None:
        return TextParts(text)
    try:
        date.fromisoformat(match.group(1))
    except ValueError:
        return TextParts(text)
    return TextParts(text[match.end() :], match.group(1))
