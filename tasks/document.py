"""The one record that flows through every stage, and the per-stage counts it produces."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Literal

Status = Literal["active", "deleted", "rejected"]
# Stored together as a version's `meta` and read back by name (storage.queries).
METADATA_FIELDS = ("format", "encoding", "author", "canonical_url", "language_hint")
# Fields about the file or the run, not the record: they change no stored version.
_NOT_RECORDED = frozenset(
    {"path", "size", "mtime_ns", "file_sha256", "previous_sha256", "signature", "unchanged", "deferred"}
)


@dataclass
class Document:
    """A file on its way from the source folder to the store.

    Stages fill fields in order; a stage that cannot handle a document sets `error`
    (and the status `rejected`), and later stages leave such a document alone so that
    it still reaches the store with its reason.
    """

    key: str
    path: str
    size: int = 0
    mtime_ns: int = 0
    file_sha256: str | None = None
    previous_sha256: str | None = None
    status: Status = "active"
    error: str | None = None
    format: str | None = None
    encoding: str | None = None
    title: str | None = None
    published: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    language_hint: str | None = None
    text: str = ""
    content_hash: str | None = None
    language: str = "und"
    language_score: float = 0.0
    languages: list[dict[str, float | str]] = field(default_factory=list)
    duplicate_of: str | None = None
    near_duplicate_of: str | None = None
    similarity: float | None = None
    # MinHash of the main text, set by dedupe for the store's index; not part of the record.
    signature: bytes | None = field(default=None, repr=False)
    unchanged: bool = False
    deferred: bool = False

    @property
    def pending(self) -> bool:
        """Whether later content stages still have work to do on this document."""
        return self.status == "active" and not self.unchanged and not self.deferred

    def reject(self, reason: str) -> None:
        """Mark the document as rejected; it is still stored, with its reason."""
        self.status = "rejected"
        self.error = reason
        self.text = ""
        self.content_hash = None

    def metadata(self) -> dict[str, str | None]:
        """Fields that describe the source file rather than its content."""
        return {name: getattr(self, name) for name in METADATA_FIELDS}

    def record_hash(self) -> str:
        """Hash of everything a stored version holds, so an unchanged re-ingest writes nothing."""
        # A shallow read of the fields: `asdict` deep-copies every value first, ~0.1 ms a record.
        payload = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _NOT_RECORDED}
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class Batch:
    """A slice of documents plus the counts each stage added while processing it."""

    documents: list[Document]
    counts: Counter[str] = field(default_factory=Counter)
    # The near-duplicate index generation dedupe linked the batch against (see store).
    linked_at: int | None = None

    def pending(self) -> list[Document]:
        return [d for d in self.documents if d.pending]
