"""Containers in the pipeline: each changed container read once, its members fed into batches.

A container (`tasks.containers`) is read in the flow's own process, in one forward pass,
while the batches before it are being extracted: reading and inflating run at about a
thousand members a second, well ahead of HTML extraction, which the workers do as for any
file. Members flow into the normal batches as they come out, so what is in memory is
the batches in flight, never a whole container. A member is a document keyed
`container#name`; its sha256 against the stored one (one range query per container,
`storage.containers.members`) decides whether it is read further. Only once the batch
holding a container's last member is stored is the container settled (`Settlement`):
members it no longer holds get `deleted` versions, and its fingerprint is recorded, so
an unchanged container is not opened again and a torn or interrupted reading is redone.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from storage import containers
from storage.containers import MEMBER_SEPARATOR
from storage.reads import Fingerprint
from storage.record import Document
from storage.session import session_scope
from storage.status import Status
from tasks.batch import Batch, Payload
from tasks.containers import Limits, Member, Options, Reading, Report, read_members
from tasks.discover import held
from tasks.formats.base import Hints
from tasks.sources.base import EntryChanging, ReadError, Source, SourceEntry, Stream

# A non-seekable stream of a kind that needs random access is spooled to disk past this.
_SPOOL_IN_MEMORY = 8 * 2**20
_NEEDS_SEEK = (".zip", ".parquet")


@dataclass
class Settlement:
    """What storing a container's members leaves to do: delete what it no longer holds, record it.

    `kind` None means the file is no container (any more): its fingerprint is dropped
    and it was handed on as a plain document. `complete` is False when the file moved
    while it was read: nothing is recorded or deleted, and the next run reads it again.
    """

    key: str
    size: int
    mtime_ns: int
    kind: str | None
    members: int = 0
    damage: str | None = None
    gone: list[str] = field(default_factory=list)
    complete: bool = True


def member_key(container: str, name: str) -> str:
    return f"{container}{MEMBER_SEPARATOR}{name}"


def skipped_summary(report: Report) -> str:
    """`3 request, 2 non-HTML payload` — what a reading passed over, for a rejection reason."""
    return ", ".join(f"{count:,} {what}" for what, count in report.skipped.most_common())


class Expansion:
    """The batches of members of `pending` containers, and their settlements once stored.

    `shadowed` are listed files whose keys look like members (`a.zip#b.txt` beside
    `a.zip`); they are never taken for members a container lost.
    """

    def __init__(self, pending: Sequence[Document], source: Source, db_url: str, batch_size: int,
                 force: bool = False, settle_seconds: float = 0.0, shadowed: frozenset[str] = frozenset(),
                 limits: Limits = Limits(), options: Options = Options()) -> None:
        self.pending = list(pending)
        self.source = source
        self.db_url = db_url
        self.batch_size = batch_size
        self.force = force
        self.settle_seconds = settle_seconds
        self.shadowed = shadowed
        self.limits = limits
        self.options = options
        self.settlements: dict[str, Settlement] = {}
        # Counts since the last batch was handed out; each batch carries its share to the report.
        self.counts: Counter[str] = Counter()

    def batches(self) -> Iterator[Batch]:
        """Batches of members, filled across containers; a batch lists the containers it closes."""
        batch = Batch([])
        self.pending.reverse()
        while self.pending:
            container = self.pending.pop()
            settlement = Settlement(container.key, container.size, container.mtime_ns, kind=None)
            for doc, payload in self._documents(container, settlement):
                batch.documents.append(doc)
                if payload is not None:
                    batch.payloads[doc.key] = payload
                if len(batch.documents) >= self.batch_size:
                    yield self._counted(batch)
                    batch = Batch([])
            self.settlements[container.key] = settlement
            batch.closes.append(container.key)
        if batch.documents or batch.closes:
            yield self._counted(batch)

    def _counted(self, batch: Batch) -> Batch:
        batch.counts.update(self.counts)
        self.counts.clear()
        return batch

    def settled(self, batch: Batch) -> list[Settlement]:
        """The settlements of the containers `batch` closes, handed over once (it is stored)."""
        return [self.settlements.pop(key) for key in batch.closes if key in self.settlements]

    def _documents(self, container: Document, settlement: Settlement) -> Iterator[tuple[Document, Payload | None]]:
        counts = self.counts
        entry = SourceEntry(container.key, container.path, container.size, container.mtime_ns)
        try:
            stream = self.source.open(entry, self.settle_seconds)
        except ReadError as error:
            container.reject(str(error))
            settlement.complete = False  # an unreadable file is tried again next run
            yield container, None
            return
        except EntryChanging:
            counts["deferred"] += 1
            settlement.complete = False
            return
        with stream:
            settlement.size, settlement.mtime_ns = stream.size, stream.mtime_ns
            try:
                reading = read_members(container.key, _random_access(stream, container.key), self.limits,
                                       self.options)
            except OSError as error:  # reading its first bytes failed; later failures are damage
                container.reject(f"unreadable: {error.strerror or error}")
                settlement.complete = False
                yield container, None
                return
            with session_scope(self.db_url) as session:
                stored = containers.members(session, container.key)
            own = stored.pop(container.key, None)
            if reading is None:
                # No container after all (a `.json` object, a `.zip` that is a page): a plain file.
                container.previous_sha256 = own.file_sha256 if own and not self.force else None
                settlement.gone = self._live(stored)
                yield container, None
            else:
                counts["containers.read"] += 1
                settlement.kind = reading.report.kind
                yield from self._members(container, reading, stored, settlement)
                if own is not None and own.status != Status.DELETED and container.status != Status.REJECTED:
                    settlement.gone.append(container.key)  # a rejection of the whole that no longer holds
            if stream.moved():
                settlement.complete = False
                counts["deferred"] += 1

    def _members(self, container: Document, reading: Reading, stored: dict[str, Fingerprint],
                 settlement: Settlement) -> Iterator[tuple[Document, Payload | None]]:
        counts = self.counts
        for member in reading.members:
            settlement.members += 1
            counts["members.read"] += 1
            doc, payload = self._member(container, member, stored)
            if doc is None:
                counts["unchanged"] += 1
                continue
            yield doc, payload
        report = reading.report
        settlement.damage = report.damage
        if report.damage is None:
            settlement.gone = self._live(stored)
        if not settlement.members:
            reason = report.damage or f"no documents in this {report.kind}"
            skipped = skipped_summary(report)
            container.reject(f"{reason} ({skipped} skipped)" if skipped else reason)
            yield container, None
        elif report.damage is not None:
            container.reject(f"damaged after {settlement.members:,} members, which are kept: {report.damage}")
            yield container, None

    def _member(self, container: Document, member: Member,
                stored: dict[str, Fingerprint]) -> tuple[Document | None, Payload | None]:
        """The member's document and bytes; `None` when it is stored with these very bytes."""
        key = member_key(container.key, member.name)
        previous = stored.pop(key, None)
        doc = Document(key=key, path=container.path, mtime_ns=container.mtime_ns, url=member.url,
                       container=container.key)
        if member.rejected is not None:
            doc.reject(member.rejected)
            return doc, None
        doc.size, doc.file_sha256 = len(member.data), hashlib.sha256(member.data).hexdigest()
        if previous is not None and not self.force and previous.status != Status.DELETED:
            if previous.file_sha256 == doc.file_sha256:
                return None, None
        hints = Hints(name=member.name, charset=member.charset, published=member.published, url=member.url, depth=1)
        return doc, Payload(member.data, hints, member.content_type, member.title)

    def _live(self, stored: dict[str, Fingerprint]) -> list[str]:
        """The stored members not seen in this reading: gone, unless they are listed files."""
        return sorted(k for k, fp in stored.items() if fp.status != Status.DELETED
                      and k not in self.shadowed and not held(k, self.shadowed))


def _random_access(stream: Stream, name: str) -> BinaryIO:
    """The stream itself, or for a ZIP or Parquet read from a non-seekable stream, a spooled copy."""
    if not name.lower().endswith(_NEEDS_SEEK) or stream.file.seekable():
        return stream.file
    spool = tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY)  # noqa: SIM115 - closed with the stream
    shutil.copyfileobj(stream.file, spool)
    spool.seek(0)
    stream.file.close()
    stream.file = spool  # type: ignore[assignment]
    return spool  # type: ignore[return-value]
