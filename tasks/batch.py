"""A slice of documents on its way through the stages, with the counts each stage added."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from storage.record import Document
from tasks.formats.base import Hints


@dataclass(frozen=True)
class Payload:
    """The bytes of a container member, read with its container before the extract stage.

    `hints` are what the container says about it (name, charset, date, URL);
    `content_type` the type it declares (a WARC's HTTP Content-Type, a dataset's text);
    `title` a title the container states (a dataset record's `title`).
    """

    data: bytes
    hints: Hints
    content_type: str | None = None
    title: str | None = None


@dataclass
class Batch:
    documents: list[Document]
    counts: Counter[str] = field(default_factory=Counter)
    # The near-duplicate index generation dedupe linked the batch against (see tasks.store).
    linked_at: int | None = None
    # Member bytes by document key, until the extract stage takes them (see tasks.members).
    payloads: dict[str, Payload] = field(default_factory=dict)
    # Containers whose last member is in this batch: settled once it is stored.
    closes: list[str] = field(default_factory=list)

    def pending(self) -> list[Document]:
        return [d for d in self.documents if d.pending]
