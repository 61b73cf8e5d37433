"""Listing and reading any other fsspec file system (SFTP, GCS, Azure ...) below a root.

The walk mirrors the local folder's: each folder's entries sorted by name, its files
before its subfolders, hidden folders never descended, so one tree gives one order
wherever it lives. One folder's listing is in memory at a time (a backend lists a
folder whole), and each is dropped from fsspec's listing cache once walked. A read
checks the fingerprint before and after, like the folder's snapshot read.
"""

from __future__ import annotations

import calendar
import posixpath
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tasks.sources.base import EntryChanging, ReadError, Snapshot, SourceEntry, SourceUnavailable
from tasks.sources.retry import describe

# Where fsspec backends put the modification time and the content tag in `info()`:
# sshfs and local "mtime", adlfs "last_modified", gcsfs "updated", memory "created".
MTIME_FIELDS = ("mtime", "LastModified", "last_modified", "updated", "created")
TAG_FIELDS = ("ETag", "etag", "generation", "version_id", "VersionId")


@dataclass(frozen=True)
class Listed:
    """An object as a backend lists it: key relative to the root, and its fingerprint."""

    key: str
    size: int
    mtime_ns: int
    etag: str | None
    symlink: bool = False


def _ns(value: Any) -> int:
    if isinstance(value, datetime):
        return calendar.timegm(value.utctimetuple()) * 1_000_000_000 + value.microsecond * 1000
    if isinstance(value, str):
        return _ns(datetime.fromisoformat(value))
    # Microseconds, as a datetime carries: some backends give a float in `ls` and a
    # datetime in `info` for the same file, and both must give one fingerprint.
    return round(float(value) * 1e6) * 1000


def fingerprint(info: dict[str, Any]) -> tuple[int, int, str | None]:
    """(size, mtime_ns, etag) from an fsspec `info()` dict, whatever the backend."""
    moment = next((info[f] for f in MTIME_FIELDS if info.get(f) is not None), 0)
    tag = next((str(info[f]).strip('"') for f in TAG_FIELDS if info.get(f)), None)
    return int(info.get("size") or 0), _ns(moment), tag


def transient(error: BaseException) -> bool:
    """Dropped connections and timeouts; asyncssh's connection errors included."""
    if isinstance(error, (TimeoutError, ConnectionError)):
        return True
    try:
        import asyncssh
    except ImportError:
        return False
    refused = (asyncssh.PermissionDenied, asyncssh.HostKeyNotVerifiable)
    lost = (asyncssh.DisconnectError, asyncssh.ChannelOpenError, asyncssh.SFTPNoConnection, asyncssh.SFTPConnectionLost)
    return isinstance(error, lost) and not isinstance(error, refused)


class FilesystemBackend:
    """A root folder on an fsspec file system that is not S3."""

    def __init__(self, fs: Any, root: str, display: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/") or "/"
        self.display = display

    def _path(self, key: str) -> str:
        return posixpath.join(self.root, key)

    def _relative(self, name: str) -> str:
        return name[len(self.root.rstrip("/")) + 1:]

    def _folder(self, folder: str) -> list[dict[str, Any]]:
        try:
            listing = self.fs.ls(folder, detail=True)
        except FileNotFoundError:
            reason = "no such folder" if folder == self.root else f"folder {self._relative(folder)} vanished while listed"
            raise SourceUnavailable(f"cannot list {self.display}: {reason}") from None
        except Exception as error:  # noqa: BLE001 - any failure to list fails the run
            raise SourceUnavailable(f"cannot list {self.display}: {describe(error)}") from None
        self.fs.invalidate_cache(folder)
        return sorted(listing, key=lambda info: posixpath.basename(info["name"].rstrip("/")))

    def list(self) -> Iterator[Listed]:
        pending = [self.root]
        while pending:
            folder = pending.pop()
            subfolders = []
            for info in self._folder(folder):
                name = info["name"].rstrip("/")
                if posixpath.basename(name).startswith(".") or name == folder.rstrip("/"):
                    continue
                if info.get("type") == "directory":
                    subfolders.append(name)
                    continue
                yield Listed(self._relative(name), *fingerprint(info), symlink=info.get("type") == "link")
            pending.extend(reversed(subfolders))

    def _info(self, entry: SourceEntry) -> tuple[int, int, str | None]:
        try:
            return fingerprint(self.fs.info(self._path(entry.key)))
        except FileNotFoundError:
            raise ReadError(f"vanished: {entry.key} was listed but is gone") from None

    def read(self, entry: SourceEntry, max_bytes: int, settle_seconds: float) -> Snapshot:
        listed = (entry.size, entry.mtime_ns, entry.etag)
        before = self._info(entry)
        if before != listed:
            raise EntryChanging(f"{entry.key}: changed since it was listed")
        if time.time_ns() - before[1] < settle_seconds * 1e9:
            raise EntryChanging(f"{entry.key}: modified less than {settle_seconds} s ago")
        try:
            with self.fs.open(self._path(entry.key), "rb") as handle:
                data = handle.read(max_bytes + 1)
        except FileNotFoundError:
            raise ReadError(f"vanished: {entry.key} was listed but is gone") from None
        except PermissionError:
            raise ReadError("permission denied") from None
        if len(data) > max_bytes:
            raise ReadError(f"file too large: over {max_bytes} bytes (it grew while being read)")
        if self._info(entry) != before or len(data) != before[0]:
            raise EntryChanging(f"{entry.key}: changed while it was read")
        return Snapshot(data, len(data), before[1])
