"""Where documents come from: `open_source` turns a location into a `Source` (see `base`).

A plain path or a `file://` URL is a local folder. Other URL schemes (s3://, sftp:// ...)
are recognised so that they fail with a clear line instead of being taken for a folder
of that name.
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
    "open_source",
]

# A scheme followed by "//": "my:folder" is still a folder name.
_URL = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*)://")


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
        scheme = url.group(1).lower()
        raise SourceUnavailable(f"{scheme}:// sources need remote-source support; seedflow reads local folders only so far")
    folder.check()
    return folder
