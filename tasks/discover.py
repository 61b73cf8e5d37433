"""Stage 1: list the source's entries and decide which ones need reading.

An entry is read again only when its size or mtime differs from the stored fingerprint
(or with `force`); the sha256 that settles whether its bytes really changed is taken by
the extract stage, which reads the bytes anyway, so no entry is read twice.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from storage import reads
from storage.session import session_scope
from storage.record import Document
from tasks.formats import DEFAULT_EXTENSIONS
from tasks.sources.base import Source, SourceEntry


def extension_set(extensions: Iterable[str] | None) -> frozenset[str]:
    """The extensions to ingest, normalised: lower case, leading dot ("TXT" → ".txt").

    `None` means the default; `""` in the list means files without an extension.
    """
    if extensions is None:
        return DEFAULT_EXTENSIONS
    return frozenset(f".{e.strip().lower().lstrip('.')}" if e.strip(" .") else "" for e in extensions)


@dataclass
class Discovery:
    """What one listing of the source found."""

    documents: list[Document] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    seen: int = 0
    unchanged: int = 0


def document(entry: SourceEntry) -> Document:
    """The document for a listed entry; one that listing already refused is rejected unread."""
    doc = Document(key=entry.key, path=entry.location, size=entry.size, mtime_ns=entry.mtime_ns)
    if entry.rejected:
        doc.reject(entry.rejected)
    return doc


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
    source: Source,
    db_url: str,
    force: bool = False,
    extensions: frozenset[str] = DEFAULT_EXTENSIONS,
    selection: Selection = EVERYTHING,
) -> Discovery:
    """List `source` against the store's fingerprints."""
    found = [doc for doc in map(document, source.entries(extensions)) if selection.wants(doc)]
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
