"""Whitespace folding, written once because titles, metadata, headlines and link-density
checks all compare text whose line breaks and indentation are markup, not content."""

from __future__ import annotations


def folded(text: str) -> str:
    """`text` on one line: every run of whitespace (any Unicode space or break) one space, none at the ends."""
    return " ".join(text.split())
