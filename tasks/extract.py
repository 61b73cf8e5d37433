"""Stage 2: read each file once, hash its bytes, and turn it into text and metadata.

Every way a single file can be bad (unreadable, binary, undecodable, unparsable) ends
as that document's rejection reason; none of them stops the rest of the batch.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from collections import Counter
from dataclasses import dataclass

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.decode import UndecodableError, decode_html, decode_text
from storage.record import Document
from tasks.batch import Batch
from tasks.html_text import extract_html
from tasks.markdown_text import markdown_to_text
from tasks.plain_text import split_date_header
from tasks.repair import repair
from tasks.sniff import binary_kind, format_for

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Opening never blocks (a FIFO would wait for a writer) and never adopts a terminal.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_TYPES = (
    (stat.S_ISDIR, "directory"),
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


class ReadError(OSError):
    """A file that cannot be read; its message is the rejection reason."""


class FileChanging(Exception):
    """The file kept changing while it was read; it is left for the next run to read whole."""


@dataclass(frozen=True)
class Snapshot:
    """Bytes read while the file stood still, with the size and mtime they belong to."""

    data: bytes
    size: int
    mtime_ns: int


def read_snapshot(path: str, max_bytes: int, settle_seconds: float = 0.0, attempts: int = 2) -> Snapshot:
    """The file's bytes, refusing anything but a regular file of at most `max_bytes`.

    Type and size are checked from `stat` before the file is opened, so a FIFO, a
    device or a huge file is never read; they are checked again on the open handle in
    case the path was swapped in between. A file whose size or mtime moves while it is
    read is read again, and if it keeps moving, `FileChanging` defers it. So does a file
    modified less than `settle_seconds` ago: a writer pausing between two chunks leaves a
    file that stands still while read and is still half-written.
    """
    try:
        _check(os.stat(path), max_bytes)
        for _ in range(attempts):
            descriptor = os.open(path, _OPEN_FLAGS)
            with open(descriptor, "rb") as handle:
                before = os.fstat(descriptor)
                _check(before, max_bytes)
                data = handle.read(max_bytes + 1)
                after = os.fstat(descriptor)
            if len(data) > max_bytes:
                raise ReadError(f"file too large: over {max_bytes} bytes (it grew while being read)")
            if before.st_size == after.st_size == len(data) and before.st_mtime_ns == after.st_mtime_ns:
                if time.time_ns() - after.st_mtime_ns < settle_seconds * 1e9:
                    break
                return Snapshot(data, after.st_size, after.st_mtime_ns)
    except FileNotFoundError:
        if os.path.islink(path):
            raise ReadError("broken symlink: its target does not exist") from None
        raise ReadError("file vanished before it could be read") from None
    except PermissionError:
        raise ReadError("permission denied") from None
    except ReadError:
        raise
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ReadError("symlink loop") from None
        raise ReadError(f"unreadable: {error.strerror or error}") from None
    raise FileChanging(path)


def _check(status: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _FILE_TYPES if test(status.st_mode)), "special file")
        raise ReadError(f"not a regular file ({kind})")
    if status.st_size > max_bytes:
        raise ReadError(f"file too large: {status.st_size} bytes (limit {max_bytes})")


def parse(doc: Document, data: bytes) -> None:
    """Fill the document's text and metadata from its bytes, or reject it with the reason."""
    binary = binary_kind(data)
    if binary:
        doc.reject(f"binary file ({binary})")
        return
    doc.format = format_for(doc.key, data)
    try:
        text, doc.encoding = decode_html(data) if doc.format == "html" else decode_text(data)
    except UndecodableError as error:
        doc.reject(str(error))
        return
    if not text.strip():
        doc.reject("empty file" if not text else "file holds only whitespace")
        return
    if doc.format == "html":
        try:
            page = extract_html(text)
        except Exception as error:  # noqa: BLE001 - any parser failure is this page's problem only
            doc.reject(f"could not parse HTML: {type(error).__name__}")
            return
        doc.text, doc.title, doc.published = repair(page.text), page.title and repair(page.title), page.published
        doc.author, doc.canonical_url, doc.language_hint = page.author, page.canonical_url, page.language_hint
    elif doc.format == "markdown":
        doc.text = repair(markdown_to_text(text), entities=True)
    else:
        parts = split_date_header(repair(text, entities=True))
        doc.text, doc.title, doc.published = parts.text, parts.title, parts.published


def extract(batch: Batch, max_bytes: int = DEFAULT_MAX_BYTES, settle_seconds: float = 0.0) -> Batch:
    """Read and parse every pending document; a file that fails is rejected with its reason."""
    counts: Counter[str] = Counter()
    for doc in batch.pending():
        try:
            snapshot = read_snapshot(doc.path, max_bytes, settle_seconds)
        except ReadError as error:
            doc.reject(str(error))
            counts["rejected"] += 1
            continue
        except FileChanging:
            doc.deferred = True
            counts["deferred"] += 1
            continue
        data, doc.size, doc.mtime_ns = snapshot.data, snapshot.size, snapshot.mtime_ns
        doc.file_sha256 = hashlib.sha256(data).hexdigest()
        if doc.file_sha256 == doc.previous_sha256:
            doc.unchanged = True
            counts["unchanged"] += 1
            continue
        parse(doc, data)
        counts["rejected" if doc.status == "rejected" else "extracted"] += 1
    batch.counts.update({f"extract.{k}": v for k, v in counts.items()})
    return batch


extract_task = task(name="extract", cache_policy=NO_CACHE, persist_result=False)(extract)
