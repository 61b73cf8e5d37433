"""Member names that are safe to use as part of a key, and unique within their container.

seedflow never writes a member to disk, but names become keys, show up in exports and
may be used by whoever unpacks the export: a path that climbs out (`../`), an absolute
one or one with a NUL byte is rejected rather than cleaned, so the key never differs
from what the archive says.
"""

from __future__ import annotations

import re

MAX_NAME = 4096
_DRIVE = re.compile(r"\A[A-Za-z]:")
_SEPARATORS = re.compile(r"[\\/]")


def path_problem(name: str) -> str | None:
    """Why an archive path (ZIP or TAR) is unsafe, or `None`."""
    if "\x00" in name:
        return "the member name contains a NUL byte"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return f"the member name {name!r} is an absolute path"
    if ".." in _SEPARATORS.split(name):
        return f"the member name {name!r} leads out of the archive (..)"
    return name_problem(name)


def name_problem(name: str) -> str | None:
    """Why any member name (a record id, a URI) cannot be part of a key, or `None`."""
    if not name:
        return "the member has no name"
    if "\x00" in name:
        return "the member name contains a NUL byte"
    if len(name) > MAX_NAME:
        return f"the member name is longer than {MAX_NAME:,} characters"
    return None


class UniqueNames:
    """Rejects a second member of the same name: two documents cannot share one key."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def problem(self, name: str, *, path: bool) -> str | None:
        problem = path_problem(name) if path else name_problem(name)
        if problem is None:
            if name in self._seen:
                return f"a second member named {name!r} (the first one is kept)"
            self._seen.add(name)
        return problem
