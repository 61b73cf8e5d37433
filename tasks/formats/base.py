"""What every input format module provides, and what it hands back.

A format module turns the raw bytes of one document into text and metadata. It claims
files by extension and by leading bytes (`FileFormat.claims`), and raises `Rejected`
with a reason a person can act on when the bytes cannot be read. It never touches the
file system, the network or the store: the extract stage owns all I/O, so a format can
be driven by tests, fuzzers and container readers with bytes alone.

Heavy third-party parsers are imported inside `extract`, not at module level: the
registry imports every format module, and commands that only read the store (export,
show, history) must not pay for PDF or Office libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class Rejected(Exception):
    """The document cannot be turned into text; the message is the stored rejection reason.

    `encoding` is set when the bytes did decode before the document was refused (an empty
    or blank file), so its record still says how it was read.
    """

    def __init__(self, reason: str, encoding: str | None = None) -> None:
        super().__init__(reason)
        self.encoding = encoding


@dataclass(frozen=True)
class Hints:
    """What the caller knows about a document beyond its bytes.

    `name` is the key or member name (its extension, if any, is a hint, not the truth);
    `charset` is a declared encoding from outside the bytes (an HTTP header in a WARC);
    `published` and `url` are fallbacks a container knows (WARC-Date, WARC-Target-URI);
    `depth` counts the containers around the document, so nested archives stay bounded.
    """

    name: str = ""
    charset: str | None = None
    published: str | None = None
    url: str | None = None
    depth: int = 0


@dataclass
class Extracted:
    """A document's text and the metadata its format carries; `None` where it carries none.

    `text` is the body in reading order, one paragraph per block separated by blank
    lines; `published` is an ISO date (YYYY-MM-DD); `pages` is set for paged formats.
    """

    text: str
    title: str | None = None
    published: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    language_hint: str | None = None
    encoding: str | None = None
    pages: int | None = None
    # Attachments, chapters or other parts a format read beside its body, for the run report.
    parts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FileFormat:
    """One input format: the name stored as the record's `format`, and how to read it.

    `sniff(data)` says whether the bytes are of this format, looking only at what it
    needs (usually the first bytes; a ZIP-based format may read the archive's
    directory). `extensions` are lower-case with their dot. `isolated` formats run their
    parser in a separate process with a time limit, because native parsers can hang or
    crash on hostile input; pure-Python ones run in the stage's own process.
    """

    name: str
    extensions: frozenset[str]
    sniff: Callable[[bytes], bool]
    extract: Callable[[bytes, Hints], Extracted]
    isolated: bool = False
    # A binary format is recognised by its bytes alone; a textual one (HTML, Markdown, text)
    # only when no binary format claims the bytes.
    binary: bool = True
    # Whether its extensions are ingested without `--extension`. Images are not: a folder's
    # photos and logos should cost a listing, not an OCR pass each.
    by_default: bool = True

    def claims(self, extension: str) -> bool:
        return extension in self.extensions
