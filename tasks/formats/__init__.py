"""The one table that maps a file to its format, and the way to read any file by it.

Adding a format means one module defining `FORMAT = FileFormat(...)` (see `base`) and
one line in `FORMATS`. The order of `FORMATS` matters only among formats that claim the
same bytes or the same extension: the first one wins.

How a file's format is decided (`format_for`): bytes a binary format recognises are that
format whatever the name says (a `.txt` that is a PDF is a PDF); other binary bytes
under a binary format's name go to that format, whose reader says what is wrong with them
(a `.docx` that is a bare ZIP is a corrupt DOCX); bytes of a binary kind no format reads
are rejected by name; otherwise the extension picks among the textual formats (text named
`.pdf` is text), and a file with no or an unknown extension is sniffed (HTML, else plain
text).
"""

from __future__ import annotations

import os

from tasks.formats import docx, email, epub, html, image, isolation, markdown, odt, pdf, pptx, rtf, text
from tasks.formats.base import Extracted, FileFormat, Hints, Rejected
from tasks.formats.sniff import binary_kind

FORMATS: tuple[FileFormat, ...] = (
    pdf.FORMAT,
    image.FORMAT,
    docx.FORMAT,
    pptx.FORMAT,
    odt.FORMAT,
    epub.FORMAT,
    rtf.FORMAT,
    html.FORMAT,
    email.FORMAT,
    markdown.FORMAT,
    text.FORMAT,
)
# What a file no format claims by bytes or extension is read as.
FALLBACK = text.FORMAT

# "" stands for files without an extension, which are sniffed. Files with any other
# extension are not even listed by default (see `tasks.sources.local`).
DEFAULT_EXTENSIONS: frozenset[str] = frozenset().union(*(f.extensions for f in FORMATS if f.by_default)) | {""}

__all__ = [
    "DEFAULT_EXTENSIONS",
    "FALLBACK",
    "FORMATS",
    "Extracted",
    "FileFormat",
    "Hints",
    "Rejected",
    "extract_any",
    "format_for",
]


# Types a container declares for a member (a WARC's HTTP Content-Type, a dataset's text field).
DECLARED: dict[str, FileFormat] = {
    "text/html": html.FORMAT,
    "application/xhtml+xml": html.FORMAT,
    "text/plain": text.FORMAT,
}


def format_for(name: str, data: bytes, content_type: str | None = None) -> FileFormat:
    """The format that reads `data`; `Rejected("binary file (…)")` for a binary kind none reads.

    A `content_type` the bytes' container declares picks the textual format where the
    bytes are not binary (a WARC page named by its record id has no extension to go by).
    """
    for candidate in FORMATS:
        if candidate.binary and candidate.sniff(data):
            return candidate
    declared = DECLARED.get(content_type or "")
    if declared is not None and not binary_kind(data):
        return declared
    extension = os.path.splitext(name)[1].lower()
    named = next((f for f in FORMATS if f.claims(extension)), None)
    kind = binary_kind(data)
    if kind and named is not None and named.binary:
        # Binary bytes under a binary format's name that its sniff does not recognise (a
        # `.docx` that is a bare ZIP, or a PNG): its own reader says what is wrong with them.
        return named
    if kind:
        raise Rejected(f"binary file ({kind})")
    textual = [f for f in FORMATS if not f.binary]
    by_name = named if named is not None and not named.binary else None
    return by_name or next((f for f in textual if f.sniff(data)), FALLBACK)


def extract_any(data: bytes, hints: Hints) -> tuple[FileFormat, Extracted]:
    """Read `data` by whatever format it is (containers and e-mail attachments read their
    parts so); an isolated format's parser runs in a worker with the default time limit."""
    chosen = format_for(hints.name, data)
    return chosen, isolation.extract(chosen, data, hints)
