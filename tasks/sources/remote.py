"""A source at a URL: an S3 bucket, GCS, Azure, SFTP, or any other fsspec file system.

Keys are relative to the URL and `/`-separated, exactly as a folder's, so a corpus
moved from a folder to a bucket with the same layout keeps its keys (and history).
Fingerprints come from the listing alone (size, last-modified, ETag), so an unchanged
object is never downloaded. Credentials come only from each backend's standard places
(environment, config files, instance roles); one carried in the URL is passed on to
the backend but never shown: `display` drops it.

The filesystem is rebuilt lazily from the URL, so the source pickles to worker
processes as just its URL and settings.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import tempfile
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import fsspec
from fsspec.core import split_protocol

from tasks.sources.base import EntryChanging, ReadError, Snapshot, SourceEntry, SourceUnavailable, Stream
from tasks.sources.filesystem import FilesystemBackend, Listed
from tasks.sources.retry import RetriesExhausted, describe, retrying

S3_PROTOCOLS = frozenset({"s3", "s3a"})
# Which extra installs the backend for a scheme, for the one-line error when it is missing.
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure", "sftp": "sftp", "ssh": "sftp"}

# sshfs turns host-key checking off unless told otherwise; `()` is asyncssh's "the user's
# ~/.ssh/known_hosts", so a server that is not the one the user knows is refused.
OPTIONS: dict[str, dict[str, Any]] = {"sftp": {"known_hosts": ()}, "ssh": {"known_hosts": ()}}

Outcome = Snapshot | ReadError | EntryChanging


class Backend(Protocol):
    def list(self) -> Iterator[Listed]: ...

    def read(self, entry: SourceEntry, max_bytes: int, settle_seconds: float) -> Snapshot: ...


# The largest container object read from a remote source (see `RemoteSource.open`).
CONTAINER_BYTES = 2 << 30


def redact(url: str) -> str:
    """`url` without user, password, query string or fragment: what summaries may show."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "")).rstrip("/")


def hidden(key: str) -> bool:
    return any(part.startswith(".") for part in key.split("/"))


class RemoteSource:
    """Documents below a URL, listed in pages and read with retries.

    `page_size` is the number of objects per listing request (S3's maximum is 1000);
    `attempts` and `backoff` bound the retries of one request on transient errors.
    """

    def __init__(self, url: str, page_size: int = 1000, attempts: int = 4, backoff: float = 0.2) -> None:
        self.url = url
        self.page_size = page_size
        self.attempts = attempts
        self.backoff = backoff
        self._backend_: Backend | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "page_size": self.page_size, "attempts": self.attempts, "backoff": self.backoff}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"RemoteSource({self.display!r})"

    @property
    def display(self) -> str:
        return redact(self.url)

    def _build(self) -> Backend:
        protocol = split_protocol(self.url)[0] or "file"
        try:
            if protocol in S3_PROTOCOLS:
                from tasks.sources.s3 import S3Backend, open_filesystem

                fs, root = open_filesystem(self.url)
                return S3Backend(fs, root, self.display, self.page_size, self.attempts, self.backoff)
            fs, root = fsspec.url_to_fs(self.url, skip_instance_cache=True, **OPTIONS.get(protocol, {}))
        except ImportError:
            extra = EXTRAS.get(protocol)
            hint = f": pip install 'seedflow[{extra}]'" if extra else ""
            raise SourceUnavailable(f"cannot list {self.display}: no backend installed for {protocol}://{hint}") from None
        except ValueError as error:
            raise SourceUnavailable(f"cannot list {self.display}: {describe(error)}") from None
        return FilesystemBackend(fs, root, self.display)

    def _backend(self) -> Backend:
        """The backend, built on first use in this process (a forked child builds its own:
        the parent's event loop and connections do not survive a fork)."""
        with self._lock:
            if self._backend_ is None or self._pid != os.getpid():
                self._backend_, self._pid = self._build(), os.getpid()
            return self._backend_

    def _drop(self) -> None:
        with self._lock:
            self._backend_ = None

    def entries(self, extensions: frozenset[str]) -> Iterator[SourceEntry]:
        """Entries in the backend's stable order, streamed page by page.

        Raises `SourceUnavailable` when the source cannot be listed, also midway: a
        partial listing must not be taken for deletions.
        """
        try:
            backend = self._backend()
        except SourceUnavailable:
            raise
        except Exception as error:  # noqa: BLE001 - an unreachable host fails in the constructor
            raise SourceUnavailable(f"cannot list {self.display}: {describe(error)}") from None
        for item in backend.list():
            if hidden(item.key) or posixpath.splitext(item.key)[1].lower() not in extensions:
                continue
            yield SourceEntry(
                key=item.key,
                location=f"{self.display}/{item.key}",
                size=item.size,
                mtime_ns=item.mtime_ns,
                etag=item.etag,
                rejected="symlink on a remote source is not followed" if item.symlink else None,
            )

    def open(self, entry: SourceEntry, settle_seconds: float = 0.0) -> Stream:
        """A container object for one pass: downloaded once (the same checked, retried read
        as `read`) into a temporary file, which is seekable for ZIP and Parquet readers.

        The download passes through memory whole, so a container is bounded by
        `CONTAINER_BYTES` here, unlike a local one, which is streamed from disk.
        """
        snapshot = self.read(entry, CONTAINER_BYTES, settle_seconds)
        spooled = tempfile.TemporaryFile()
        spooled.write(snapshot.data)
        spooled.seek(0)
        return Stream(spooled, snapshot.size, snapshot.mtime_ns, lambda: False)

    def read(self, entry: SourceEntry, max_bytes: int, settle_seconds: float = 0.0) -> Snapshot:
        """The entry's bytes, downloaded once, as they were when listed.

        An entry larger than `max_bytes` by its listed size is refused unread. Transient
        failures are retried with backoff; if they persist, or the failure is one no
        rule here foresaw, the entry is deferred (`EntryChanging`) rather than
        rejected: nothing is known to be wrong with it.
        """
        if entry.rejected:
            raise ReadError(entry.rejected)
        if entry.size > max_bytes:
            raise ReadError(f"file too large: {entry.size} bytes (limit {max_bytes})")

        def transient(error: BaseException) -> bool:
            if not self._transient(error):
                return False
            if split_protocol(self.url)[0] not in S3_PROTOCOLS:
                self._drop()  # an SSH connection that dropped stays dropped: connect anew
            return True

        def attempt() -> Snapshot:
            try:
                backend = self._backend()
            except SourceUnavailable:
                raise
            except Exception as error:  # noqa: BLE001 - connecting is part of reading
                if self._transient(error):
                    raise
                raise ReadError(f"unreadable: {describe(error)}") from None
            return backend.read(entry, max_bytes, settle_seconds)

        try:
            return retrying(attempt, transient, self.attempts, self.backoff)
        except RetriesExhausted as error:
            raise EntryChanging(f"{entry.key}: deferred, source kept failing: {error}") from None
        except SourceUnavailable as error:
            raise EntryChanging(f"{entry.key}: deferred, {error}") from None
        except (ReadError, EntryChanging):
            raise
        except Exception as error:  # noqa: BLE001 - never escapes the stage; the next run tries again
            raise EntryChanging(f"{entry.key}: deferred, unexpected {describe(error)}") from None

    def _transient(self, error: BaseException) -> bool:
        if isinstance(error, (ReadError, EntryChanging, SourceUnavailable)):
            return False
        if split_protocol(self.url)[0] in S3_PROTOCOLS:
            from tasks.sources.s3 import transient
        else:
            from tasks.sources.filesystem import transient
        return transient(error)

    def _outcome(self, entry: SourceEntry, max_bytes: int, settle_seconds: float) -> tuple[SourceEntry, Outcome]:
        try:
            return entry, self.read(entry, max_bytes, settle_seconds)
        except (ReadError, EntryChanging) as error:
            return entry, error

    def read_many(
        self, entries: Iterable[SourceEntry], max_bytes: int, concurrency: int = 16, settle_seconds: float = 0.0
    ) -> Iterator[tuple[SourceEntry, Outcome]]:
        """Each entry with its snapshot or the `ReadError`/`EntryChanging` it got, in
        completion order, `concurrency` requests in flight.

        Latency, not bandwidth, bounds one reader of small objects; many in flight
        hide it. `entries` is consumed lazily: at most twice `concurrency` entries are
        pending, so a huge listing streams through.
        """
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="remote-read") as pool:
            pending: set[Future[tuple[SourceEntry, Outcome]]] = set()
            for entry in entries:
                pending.add(pool.submit(self._outcome, entry, max_bytes, settle_seconds))
                if len(pending) >= 2 * concurrency:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)

    def listing_digest(self, extensions: frozenset[str]) -> str:
        """A hash of the listing (keys and fingerprints), computed as it streams.

        Object stores have no change notification; a watcher polls this and triggers a
        run only when it differs from the last one.
        """
        digest = hashlib.sha256()
        for entry in self.entries(extensions):
            digest.update(f"{entry.key}\0{entry.size}\0{entry.mtime_ns}\0{entry.etag or ''}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()
