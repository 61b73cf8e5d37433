"""Stage 2: read each file once, hash its bytes, and turn it into text and metadata."""

from __future__ import annotations

import hashlib
import os
from collections import Counter

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.decode import UndecodableError, decode_html, decode_text
from tasks.document import Batch, Document
from tasks.html_text import extract_html
from tasks.plain_text import split_date_header

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
HTML_EXTENSIONS = frozenset({".html", ".htm"})


class ReadError(OSError):
    """A file that cannot be read; its message is the rejection reason."""


def read_bytes(doc: Document, max_bytes: int) -> bytes:
    """The file's bytes, refusing files over `max_bytes` before reading them."""
    try:
        size = os.stat(doc.path).st_size
        if size > max_bytes:
            raise ReadError(f"file too large: {size} bytes (limit {max_bytes})")
        with open(doc.path, "rb") as handle:
            return handle.read(max_bytes + 1)
    except FileNotFoundError:
        if os.path.islink(doc.path):
            raise ReadError("broken symlink: its target does not exist") from None
        raise ReadError("file vanished before it could be read") from None
    except PermissionError:
        raise ReadError("permission denied") from None
    except ReadError:
        raise
    except OSError as error:
        raise ReadError(f"unreadable: {error.strerror or error}") from None


def _parse(doc: Document, data: bytes) -> None:
    if os.path.splitext(doc.key)[1].lower() in HTML_EXTENSIONS:
        markup, doc.encoding = decode_html(data)
        page = extract_html(markup)
        doc.format, doc.text, doc.title, doc.published = "html", page.text, page.title, page.published
        doc.author, doc.canonical_url, doc.language_hint = page.author, page.canonical_url, page.language_hint
        return
    text, doc.encoding = decode_text(data)
    parts = split_date_header(text)
    doc.format, doc.text, doc.title, doc.published = "text", parts.text, parts.title, parts.published


def extract(batch: Batch, max_bytes: int = DEFAULT_MAX_BYTES) -> Batch:
    """Read and parse every pending document; a file that fails is rejected with its reason."""
    counts: Counter[str] = Counter()
    for doc in batch.pending():
        try:
            data = read_bytes(doc, max_bytes)
        except ReadError as error:
            doc.reject(str(error))
            counts["rejected"] += 1
            continue
        doc.file_sha256 = hashlib.sha256(data).hexdigest()
        if doc.file_sha256 == doc.previous_sha256:
            doc.unchanged = True
            counts["unchanged"] += 1
            continue
        if not data.strip():
            doc.reject("empty file" if not data else "file holds only whitespace")
            counts["rejected"] += 1
            continue
        try:
            _parse(doc, data)
        except UndecodableError as error:
            doc.reject(str(error))
            counts["rejected"] += 1
            continue
        counts["extracted"] += 1
    batch.counts.update({f"extract.{k}": v for k, v in counts.items()})
    return batch


extract_task = task(name="extract", cache_policy=NO_CACHE, persist_result=False)(extract)
