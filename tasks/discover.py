"""Stage 1: find the files under the source root and decide which ones need reading.

A file is read again only when its size or mtime differs from the stored fingerprint
(or with `force`); the sha256 that settles whether its bytes really changed is taken by
the extract stage, which reads the bytes anyway, so no file is read twice.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from storage import reads
from storage.session import session_scope
from storage.record import Document

# "" stands for files without an extension; see `walk` for why others are skipped.
DEFAULT_EXTENSIONS = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ""})


def extension_set(extensions: Iterable[str] | None) -> frozenset[str]:
    """The extensions to ingest, normalised: lower case, leading dot ("TXT" → ".txt").

    `None` means the default; `""` in the list means files without an extension.
    """
    if extensions is None:
        return DEFAULT_EXTENSIONS
    return frozenset(f".{e.strip().lower().lstrip('.')}" if e.strip(" .") else "" for e in extensions)


@dataclass
class Discovery:
    """What one scan of the source folder found."""

    documents: list[Document] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    seen: int = 0
    unchanged: int = 0


def file_key(source: Path, path: str) -> str:
    """The path relative to `source`, `/`-separated, faithful to the name's bytes.

    Names are bytes on POSIX; bytes that are not UTF-8 are kept as visible `\\xNN`
    escapes, so the key can be stored as text anywhere and still names one file.
    """
    relative = Path(path).relative_to(source).as_posix()
    return os.fsencode(relative).decode("utf-8", "backslashreplace")


def _inside(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    return os.path.commonpath([real, root]) == root


def walk(
    source: Path, extensions: frozenset[str] = DEFAULT_EXTENSIONS, follow_outside_symlinks: bool = False
) -> Iterator[Document]:
    """Files below `source` in a stable order (each folder's files, then its subfolders), hidden ones skipped.

    Symlinked folders are not descended (they may loop or leave the root). A symlinked
    file is kept if its target lies inside the root; one pointing outside is rejected
    unread unless `follow_outside_symlinks`; a broken one yields a document the extract
    stage rejects.

    Only files whose extension is in `extensions` are yielded; `""` there takes files
    with no extension (README, exports named by id), whose first bytes the extract stage
    sniffs to tell HTML from text from binary. Files with any other extension (.png,
    .pdf, .zip ...) are skipped here, unread, rather than sniffed and rejected: a folder
    of images should cost one directory listing, not a read of every image.
    """
    root = os.path.realpath(source)
    pending = [source]
    while pending:
        folder = pending.pop()
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(Path(entry.path))
                continue
            if os.path.splitext(entry.name)[1].lower() not in extensions:
                continue
            doc = Document(key=file_key(source, entry.path), path=entry.path)
            if entry.is_symlink() and not follow_outside_symlinks and not _inside(entry.path, root):
                doc.reject("symlink points outside the source root")
            try:
                stat = entry.stat()
                doc.size, doc.mtime_ns = stat.st_size, stat.st_mtime_ns
            except OSError:
                pass
            yield doc
        pending.extend(reversed(subfolders))


@dataclass(frozen=True)
class Selection:
    """Which files a (re-)ingest looks at: keys matching any glob, modified after `since`.

    Deletions are only detected among keys the globs cover, and not at all with `since`
    (a file that is gone has no modification time to compare).
    """

    paths: Sequence[str] = ()
    since: datetime | None = None

    def covers(self, key: str) -> bool:
        return not self.paths or any(fnmatch.fnmatchcase(key, pattern) for pattern in self.paths)

    def wants(self, doc: Document) -> bool:
        if self.since is not None and doc.mtime_ns <= self.since.timestamp() * 1e9:
            return False
        return self.covers(doc.key)


EVERYTHING = Selection()


def discover(
    source: Path,
    db_url: str,
    force: bool = False,
    extensions: frozenset[str] = DEFAULT_EXTENSIONS,
    selection: Selection = EVERYTHING,
    follow_outside_symlinks: bool = False,
) -> Discovery:
    """Scan `source` against the store's fingerprints."""
    if not source.is_dir():
        raise NotADirectoryError(f"source folder {source} does not exist or is not a folder")
    found = [doc for doc in walk(source, extensions, follow_outside_symlinks) if selection.wants(doc)]
    result = Discovery(seen=len(found))
    with session_scope(db_url) as session:
        stored = reads.fingerprints(session, [d.key for d in found])
        if selection.since is None:
            seen_keys = {d.key for d in found}
            live = (k for k in reads.live_keys(session) if selection.covers(k))
            result.deleted = sorted(k for k in live if k not in seen_keys)
    for doc in found:
        previous = stored.get(doc.key)
        if previous and not force and (previous.size, previous.mtime_ns) == (doc.size, doc.mtime_ns):
            result.unchanged += 1
            continue
        if previous and not force:
            doc.previous_sha256 = previous.file_sha256
        result.documents.append(doc)
    return result


discover_task = task(name="discover", cache_policy=NO_CACHE, persist_result=False)(discover)
