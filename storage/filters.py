"""The selection `export`, `changes` and `search` share: language, status, source format, key glob."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from storage.models import DocumentRow, DocumentVersion
from storage.status import Status


@dataclass(frozen=True)
class Filters:
    """Conditions on a version (language, status, `meta.format`) and its document's key.

    `key` is a shell glob as SQLite's GLOB reads it: `*` and `?` match `/` too, `[…]`
    is a character class, case matters.
    """

    language: str | None = None
    status: Status | None = None
    format: str | None = None
    key: str | None = None

    def apply(self, session: Session, statement: Select[Any]) -> Select[Any]:
        """`statement` (selecting from versions joined to their documents) narrowed to the filters."""
        if self.language is not None:
            statement = statement.where(DocumentVersion.language == self.language)
        if self.status is not None:
            statement = statement.where(DocumentVersion.status == self.status)
        if self.format is not None:
            statement = statement.where(DocumentVersion.meta["format"].as_string() == self.format)
        if self.key is not None:
            if session.get_bind().dialect.name == "sqlite":
                statement = statement.where(DocumentRow.key.op("GLOB")(self.key))
            else:
                statement = statement.where(DocumentRow.key.regexp_match(glob_regex(self.key)))
        return statement

    def admits_purge(self, key: str) -> bool:
        """Whether a purged key's deletion belongs in a feed read with these filters.

        A purge keeps no language or format, so only the key and status filters apply.
        """
        if self.status is not None and self.status != Status.DELETED:
            return False
        return self.key is None or fnmatch.fnmatchcase(key, self.key)


def glob_regex(pattern: str) -> str:
    """A glob as an anchored POSIX regular expression (PostgreSQL's `~`), GLOB's rules."""
    out, i = ["^"], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            body = "^" + body[1:] if body.startswith(("!", "^")) else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out) + "$"
