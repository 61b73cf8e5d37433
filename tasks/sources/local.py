"""A folder on the local file system as a document source.

Listing costs one directory read per folder and one `stat` per file, never a read of
content. Reading refuses everything but a regular file of bounded size, and returns
bytes only from a moment the file stood still, so a file being written is never stored
torn: it is deferred to the next run instead.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tasks.sources.base import EntryChanging, ReadError, Snapshot, SourceEntry, SourceUnavailable, Stream

# Opening never blocks (a FIFO would wait for a writer) and never adopts a terminal.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_TYPES = (
    (stat.S_ISDIR, "directory"),
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


@dataclass(frozen=True)
class LocalFolder:
    """The files below `root`. A symlinked file whose target lies outside `root` is listed
    as rejected, unread, unless `follow_outside_symlinks`."""

    root: Path
    follow_outside_symlinks: bool = False

    @property
    def display(self) -> str:
        return str(self.root)

    def check(self) -> None:
        """`SourceUnavailable` unless the root is a folder, so a run fails before writing anything."""
        if not self.root.is_dir():
            raise SourceUnavailable(f"source folder {self.root} does not exist or is not a folder")

    def entries(self, extensions: frozenset[str]) -> Iterator[SourceEntry]:
        """Files in a stable order (each folder's files, then its subfolders), hidden ones skipped.

        Symlinked folders are not descended (they may loop or leave the root). A symlinked
        file is kept if its target lies inside the root; a broken one is listed for the
        extract stage to reject with its reason.

        Files with an extension outside `extensions` (.png, .pdf, .zip ... by default) are
        skipped here, unread, rather than sniffed and rejected: a folder of images should
        cost one directory listing, not a read of every image.
        """
        self.check()
        real_root = os.path.realpath(self.root)
        pending = [self.root]
        while pending:
            folder = pending.pop()
            with os.scandir(folder) as scan:
                found = sorted(scan, key=lambda e: e.name)
            subfolders = []
            for item in found:
                if item.name.startswith("."):
                    continue
                if item.is_dir(follow_symlinks=False):
                    subfolders.append(Path(item.path))
                    continue
                if os.path.splitext(item.name)[1].lower() not in extensions:
                    continue
                yield self._entry(item, real_root)
            pending.extend(reversed(subfolders))

    def _entry(self, item: os.DirEntry[str], real_root: str) -> SourceEntry:
        rejected = None
        if item.is_symlink() and not self.follow_outside_symlinks and not _inside(item.path, real_root):
            rejected = "symlink points outside the source root"
        try:
            status = item.stat()
            size, mtime_ns = status.st_size, status.st_mtime_ns
        except OSError:
            # A broken or looping link: the extract stage names what is wrong with it.
            size = mtime_ns = 0
        key = file_key(self.root, item.path)
        return SourceEntry(key=key, location=item.path, size=size, mtime_ns=mtime_ns, rejected=rejected)

    def read(self, entry: SourceEntry, max_bytes: int, settle_seconds: float = 0.0) -> Snapshot:
        return read_snapshot(entry.location, max_bytes, settle_seconds)

    def open(self, entry: SourceEntry, settle_seconds: float = 0.0) -> Stream:
        return open_stream(entry.location, settle_seconds)


def file_key(root: Path, path: str) -> str:
    """The path relative to `root`, `/`-separated, faithful to the name's bytes.

    Names are bytes on POSIX; bytes that are not UTF-8 are kept as visible `\\xNN`
    escapes, so the key can be stored as text anywhere and still names one file.
    """
    relative = Path(path).relative_to(root).as_posix()
    return os.fsencode(relative).decode("utf-8", "backslashreplace")


def _inside(path: str, real_root: str) -> bool:
    real = os.path.realpath(path)
    return os.path.commonpath([real, real_root]) == real_root


def read_snapshot(path: str, max_bytes: int, settle_seconds: float = 0.0, attempts: int = 2) -> Snapshot:
    """The file's bytes, refusing anything but a regular file of at most `max_bytes`.

    Type and size are checked from `stat` before the file is opened, so a FIFO, a
    device or a huge file is never read; they are checked again on the open handle in
    case the path was swapped in between. A file whose size or mtime moves while it is
    read is read again, and if it keeps moving, `EntryChanging` defers it. So does a file
    modified less than `settle_seconds` ago: a writer pausing between two chunks leaves a
    file that stands still while read and is still half-written.
    """
    with _read_errors(path):
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
    raise EntryChanging(path)


def open_stream(path: str, settle_seconds: float = 0.0) -> Stream:
    """The regular file at `path`, open for a streaming reader, with the same refusals as
    `read_snapshot` but no size limit; `moved()` compares the open file's size and mtime
    with those it had when opened."""
    with _read_errors(path):
        _check(os.stat(path), None)
        descriptor = os.open(path, _OPEN_FLAGS)
        handle = open(descriptor, "rb")
        try:
            before = os.fstat(descriptor)
            _check(before, None)
        except BaseException:
            handle.close()
            raise
        if time.time_ns() - before.st_mtime_ns < settle_seconds * 1e9:
            handle.close()
            raise EntryChanging(path)

        def moved() -> bool:
            now = os.fstat(descriptor)
            return (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns)

        return Stream(handle, before.st_size, before.st_mtime_ns, moved)


@contextmanager
def _read_errors(path: str) -> Iterator[None]:
    """OS errors of reading `path` as `ReadError`s whose message is the rejection reason."""
    try:
        yield
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


def _check(status: os.stat_result, max_bytes: int | None) -> None:
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _FILE_TYPES if test(status.st_mode)), "special file")
        raise ReadError(f"not a regular file ({kind})")
    if max_bytes is not None and status.st_size > max_bytes:
        raise ReadError(f"file too large: {status.st_size} bytes (limit {max_bytes})")
