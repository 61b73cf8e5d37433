"""Stage 1: list the source's entries and decide which ones need reading.

An entry is read again only when its size or mtime differs from the stored fingerprint
(or with `force`); the sha256 that settles whether its bytes really changed is taken by
the extract stage, which reads the bytes anyway, so no entry is read twice.

Containers (`tasks.containers`: WARC, ZIP, TAR, compressed files, datasets) are set
apart: their fingerprint is the container's own (`storage.containers`), and their members
(`container#name`) are settled by reading the container (`tasks.members`), not here:
an unchanged container keeps its members untouched, a vanished one loses them all.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from storage import containers, reads
from storage.containers import MEMBER_SEPARATOR
from storage.session import session_scope
from storage.record import Document
from storage.status import Status
from tasks import containers as container_kinds
from tasks import formats
from tasks.sources.base import Source, SourceEntry

# Documents, and the files that hold documents.
DEFAULT_EXTENSIONS: frozenset[str] = formats.DEFAULT_EXTENSIONS | container_kinds.EXTENSIONS
_CONTAINER_SUFFIXES = tuple(sorted(container_kinds.EXTENSIONS))


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
    # Container files to read (new or changed), and the recorded containers that vanished.
    containers: list[Document] = field(default_factory=list)
    vanished_containers: list[str] = field(default_factory=list)
    # Listed files whose key looks like a member's of a listed container (`a.zip#b.txt`
    # beside `a.zip`): files, not members, so no reading of that container deletes them.
    shadowed: frozenset[str] = frozenset()


def container_name(key: str) -> bool:
    """Whether the name says the file may be a container (its bytes decide when it is read)."""
    return key.lower().endswith(_CONTAINER_SUFFIXES)


def held(key: str, holders: set[str] | frozenset[str]) -> bool:
    """Whether `key` is a member key (`container#name`) of one of the container keys `holders`."""
    at = key.find(MEMBER_SEPARATOR)
    while at > 0:
        if key[:at] in holders:
            return True
        at = key.find(MEMBER_SEPARATOR, at + 1)
    return False


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
    seen_keys = {d.key for d in found}
    candidates = {d.key for d in found if d.status != Status.REJECTED and container_name(d.key)}
    if candidates:
        result.shadowed = frozenset(k for k in seen_keys if MEMBER_SEPARATOR in k and held(k, candidates))
    with session_scope(db_url) as session:
        stored = reads.fingerprints(session, [d.key for d in found])
        known = containers.fingerprints(session)
        if selection.since is None:
            holders = {k for k in known if k in seen_keys}
            vanished = {k for k in known if k not in seen_keys and selection.covers(k)}
            live = (k for k in reads.live_keys(session) if selection.covers(k) or held(k, vanished))
            result.deleted = sorted(k for k in live if k not in seen_keys and not held(k, holders))
            result.vanished_containers = sorted(vanished)
    for doc in found:
        previous = stored.get(doc.key)
        if doc.key in candidates:
            recorded = known.get(doc.key)
            if not force and recorded is not None and (recorded.size, recorded.mtime_ns) == (doc.size, doc.mtime_ns):
                result.unchanged += 1
                continue
            # A file with a container's name that turned out to be a plain document (a
            # `.json` object) was stored as one, with its sha256: its own fingerprint holds.
            read_as_file = recorded is None and previous is not None and previous.file_sha256 is not None
            if not force and read_as_file and (previous.size, previous.mtime_ns) == (doc.size, doc.mtime_ns):
                result.unchanged += 1
                continue
            if previous and not force:
                doc.previous_sha256 = previous.file_sha256
            result.containers.append(doc)
            continue
        if previous and not force and (previous.size, previous.mtime_ns) == (doc.size, doc.mtime_ns):
            result.unchanged += 1
            continue
        if previous and not force:
            doc.previous_sha256 = previous.file_sha256
        result.documents.append(doc)
    return result


discover_task = task(name="discover", cache_policy=NO_CACHE, persist_result=False)(discover)
