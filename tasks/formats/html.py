"""HTML pages: claimed by extension, or by a doctype or common opening tag at the start.

The page is decoded honouring its own charset declaration, then `tasks.html` finds the
article text and the metadata the page states. Mojibake is repaired in text and title;
entities are not decoded again (the parser has decoded the real ones, so any left are
meant literally).
"""

from __future__ import annotations

import re

from tasks.decode import unicode_encoding
from tasks.formats.base import Extracted, FileFormat, Hints, Rejected
from tasks.formats.textual import decoded

_HEAD_BYTES = 1024
_LEADING_NOISE = re.compile(r"\A(?:\s+|<!--.*?-->|<\?xml[^>]*>)*", re.DOTALL)
_HTML_START = re.compile(
    r"<(?:!doctype\s+html|html|head|body|title|meta|script|style|iframe|table|div|p|h[1-6]|a|b|br|font)[\s/>]",
    re.IGNORECASE,
)


def looks_like_html(data: bytes) -> bool:
    """Whether the data starts like an HTML page (a doctype or a common opening tag)."""
    found = unicode_encoding(data[:_HEAD_BYTES])
    if found:
        name, skip = found
        head = data[skip:_HEAD_BYTES].decode(name, errors="ignore")
    else:
        head = data[:_HEAD_BYTES].decode("latin-1")
    start = _LEADING_NOISE.match(head)
    return bool(_HTML_START.match(head, start.end() if start else 0))


def extract(data: bytes, hints: Hints) -> Extracted:
    from tasks.html.text import extract_html
    from tasks.repair import repair

    text, encoding = decoded(data, html=True, charset=hints.charset)
    try:
        page = extract_html(text)
    except Exception as error:  # noqa: BLE001 - any parser failure is this page's problem only
        raise Rejected(f"could not parse HTML: {type(error).__name__}", encoding) from None
    return Extracted(
        text=repair(page.text),
        title=page.title and repair(page.title),
        published=page.published,
        author=page.author,
        canonical_url=page.canonical_url,
        language_hint=page.language_hint,
        encoding=encoding,
    )


FORMAT = FileFormat(
    name="html",
    extensions=frozenset({".html", ".htm", ".xhtml"}),
    sniff=looks_like_html,
    extract=extract,
    binary=False,
)
