"""What a container reader yields, the bounds it keeps, and how it reports what it skipped.

A container is a file holding many documents (a WARC, a ZIP or TAR, a compressed file, a
JSON Lines or Parquet dataset). Readers take a binary file object, read it in one pass
in bounded memory and yield `Member`s: the bytes of one document each, never written
anywhere. A member that alone is bad comes back with `rejected` set, so the rest of the
container is kept; damage to the container itself (truncation, a bomb, a broken
directory) stops the reading and lands in `Report.damage`. Nothing a hostile file holds
makes a reader raise: every failure becomes one of those two reasons.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal


class ContainerDamage(Exception):
    """The container cannot be read on from here; the message is the stored reason."""


class LimitExceeded(ContainerDamage):
    """A bound of `Limits` was hit while inflating (a compression bomb, too many members)."""


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile container to bounded time and memory.

    `max_ratio` applies once more than `ratio_floor` bytes came out, because tiny inputs
    legitimately inflate far (a 100-byte gzip of 20 KB of repeated markup); it limits a
    member against its compressed size and a whole stream against the bytes read, so
    overlapping ZIP entries and gzip bombs stop where the ratio is crossed.
    """

    max_member_bytes: int = 20 * 2**20
    max_ratio: int = 100
    ratio_floor: int = 2**20
    max_members: int = 1_000_000
    max_depth: int = 2
    # A Parquet row group is read whole (per column), so its uncompressed size is bounded too.
    max_row_group_bytes: int = 256 * 2**20


@dataclass(frozen=True)
class Options:
    """What the user chose about names and fields.

    `warc_name` keys WARC members by their WARC-Record-ID (unique by the standard) or by
    their WARC-Target-URI (readable and stable when a crawl is redone, but a URI fetched
    twice in one WARC keeps only its first record). `text_field` names the dataset field
    that holds a record's text.
    """

    warc_name: Literal["record-id", "target-uri"] = "record-id"
    text_field: str = "text"


@dataclass
class Member:
    """One document inside a container.

    `name` is stable across runs (the path in a ZIP/TAR, the WARC-Record-ID or URI, a
    dataset record's `id` or 1-based line/row number); members of a nested archive are
    named `inner.zip#path`. `published` is an ISO date (YYYY-MM-DD). `charset` is the
    encoding declared outside the bytes (the HTTP Content-Type in a WARC); dataset text
    is always UTF-8. When `rejected` is set, `data` is empty.
    """

    name: str
    data: bytes = b""
    url: str | None = None
    published: str | None = None
    charset: str | None = None
    content_type: str | None = None
    title: str | None = None
    rejected: str | None = None


@dataclass
class Report:
    """What one reading saw besides its members: counts of what it skipped and why, and damage.

    `entries` counts everything the container listed (members, skipped and rejected),
    the number `Limits.max_members` bounds.
    """

    kind: str
    max_entries: int = Limits.max_members
    entries: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    damage: str | None = None

    def skip(self, what: str, count: int = 1) -> None:
        """Count an entry that is no document (a directory, a WARC request record)."""
        self.skipped[what] += count
        self.entry(count)

    def entry(self, count: int = 1) -> None:
        self.entries += count
        if self.entries > self.max_entries:
            raise LimitExceeded(f"more than {self.max_entries:,} entries; the rest is unread")
