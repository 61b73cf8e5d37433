"""Where documents come from: `open_source` turns a location into a `Source` (see `base`).

A plain path or a `file://` URL is a local folder; any other URL (s3://, gs://, az://,
sftp:// ...) is read through fsspec (`remote`), with the backend its extra installs.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tasks.sources.base import EntryChanging, ReadError, Snapshot, Source, SourceEntry, SourceUnavailable, Stream
from tasks.sources.local import LocalFolder

__all__ = [
    "EntryChanging",
    "LocalFolder",
    "ReadError",
    "Snapshot",
    "Source",
    "SourceEntry",
    "SourceUnavailable",
    "Stream",
    "is_url",
    "open_source",
]

# A scheme followed by "//": "my:folder" is still a folder name.
_URL = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(location: str) -> bool:
    """Whether `location` names a URL rather than a folder ("my:folder" is a folder name)."""
    return _URL.match(location) is not None


def open_source(location: str, follow_outside_symlinks: bool = False) -> Source:
    """The source at `location`; `SourceUnavailable` when it cannot be listed."""
    url = _URL.match(location)
    if url is None:
        folder = LocalFolder(Path(location).absolute(), follow_outside_symlinks)
    elif url.group(1).lower() == "file":
        parts = urlsplit(location)
        if parts.netloc not in ("", "localhost"):
            raise SourceUnavailable(f"file:// sources need a local path, not host {parts.netloc!r}")
        folder = LocalFolder(Path(unquote(parts.path, errors="surrogateescape")), follow_outside_symlinks)
    else:
        from tasks.sources.remote import RemoteSource

        return RemoteSource(location)
    folder.check()
    return folder
