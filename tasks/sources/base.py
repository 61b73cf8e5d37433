"""The interface every document source implements: list entries, read one consistently.

A source is a place documents come from: a local folder today, a bucket or an SFTP
server behind the same calls. Discovery lists entries with fingerprints the source
gets without reading content (size and modification time; an ETag where the backend
has one), compares them with the store, and only entries that changed are read.
Reading returns a snapshot: bytes that belong to one consistent state of the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO, Protocol


class ReadError(OSError):
    """An entry that cannot be read; its message is the rejection reason."""


class EntryChanging(Exception):
    """The entry kept changing while it was read; the next run reads it whole."""


class SourceUnavailable(Exception):
    """The source cannot be listed at all (missing folder, bad credentials, no bucket).

    The run fails with this one line and writes nothing.
    """


@dataclass(frozen=True)
class SourceEntry:
    """One listed entry: its key (relative to the source root, `/`-separated), where the
    source finds it again, and its fingerprint.

    `rejected` is set when listing alone already shows the entry must not be read (a
    symlink leaving the root); `etag` is the backend's content tag where it has one.
    """

    key: str
    location: str
    size: int = 0
    mtime_ns: int = 0
    etag: str | None = None
    rejected: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """Bytes read while the entry stood still, with the size and mtime they belong to."""

    data: bytes
    size: int
    mtime_ns: int


@dataclass
class Stream:
    """An entry opened for one pass by a streaming reader (a container, read but never held whole).

    `size` and `mtime_ns` are the entry's when it was opened; `moved()` tells whether it
    changed since, so a reader compares once its pass is done and discards a torn one.
    """

    file: BinaryIO
    size: int
    mtime_ns: int
    moved: Callable[[], bool]

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.file.close()


class Source(Protocol):
    """A document source. Implementations are picklable (worker processes read too)."""

    @property
    def display(self) -> str:
        """The source as shown in summaries, logs and the store: never with credentials."""
        ...

    def entries(self, extensions: frozenset[str]) -> Iterator[SourceEntry]:
        """Entries in a stable order, streamed (a bucket of millions is never held whole).

        Only entries whose extension is in `extensions` are yielded (`""` stands for
        names without one); hidden entries (a name part starting with `.`) never are.
        Raises `SourceUnavailable` when the source cannot be listed.
        """
        ...

    def read(self, entry: SourceEntry, max_bytes: int, settle_seconds: float = 0.0) -> Snapshot:
        """The entry's bytes, at most `max_bytes` of them (`ReadError` beyond, unread where
        the size is known first); `EntryChanging` when no consistent read was possible or
        the entry changed less than `settle_seconds` ago."""
        ...

    def open(self, entry: SourceEntry, settle_seconds: float = 0.0) -> Stream:
        """The entry as a binary file for one forward pass, with no size limit (the reader
        bounds what it takes out); seekable where the backend allows it. `ReadError` and
        `EntryChanging` as for `read`."""
        ...
