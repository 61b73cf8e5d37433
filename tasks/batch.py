"""A slice of documents on its way through the stages, with the counts each stage added."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from storage.record import Document


@dataclass
class Batch:
    documents: list[Document]
    counts: Counter[str] = field(default_factory=Counter)
    # The near-duplicate index generation dedupe linked the batch against (see tasks.store).
    linked_at: int | None = None

    def pending(self) -> list[Document]:
        return [d for d in self.documents if d.pending]
