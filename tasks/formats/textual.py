"""What the textual formats (text, Markdown, HTML) share: bytes to `str`, or a reason why not.

A file that decodes to nothing, or to whitespace only, is rejected here rather than by the
clean stage, so its reason says what was wrong with the file itself.
"""

from __future__ import annotations

from tasks.decode import UndecodableError, decode_html, decode_text
from tasks.formats.base import Rejected


def decoded(data: bytes, html: bool = False, charset: str | None = None) -> tuple[str, str]:
    """The text and the codec name it was decoded with; `html` honours the page's own
    declaration, then `charset`, a declaration from outside the bytes."""
    try:
        text, encoding = decode_html(data, charset) if html else decode_text(data)
    except UndecodableError as error:
        raise Rejected(str(error)) from None
    if not text.strip():
        raise Rejected("empty file" if not text else "file holds only whitespace", encoding)
    return text, encoding
