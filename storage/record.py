"""The document record, and its one mapping to and from the store's rows.

A `Document` is filled in by the pipeline's stages and persisted by the store; this is
the only place that knows which of its fields a stored version holds, how they map to
columns, and how a stored version reads back as the export contract's record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from storage.status import Status

if TYPE_CHECKING:
    from storage.models import DocumentVersion

# Stored together as a version's `meta` and exported as top-level fields. `url` (a WARC
# member's WARC-Target-URI, a dataset record's `url`) and `container` (the key of the
# container a member came from) are set only for members of containers; `pages` only for
# paged formats.
METADATA_FIELDS = ("format", "encoding", "author", "canonical_url", "language_hint", "url", "container", "pages")
# Recorded fields added after documents were first stored: `record_hash` covers each one
# only when it is set, so a document stored before the field existed (where it is None)
# keeps its hash, and a re-ingest or `--force` does not rewrite every stored document.
OPTIONAL_FIELDS = frozenset(("url", "container", "pages"))
# What a version's identity is made of: a re-ingest that changes none of these writes
# nothing. File fingerprints (size, mtime, sha256) and pipeline state are left out on
# purpose: touching a file, or re-reading it, is not a new version of the document.
RECORDED_FIELDS = (
    "key", "status", "error", "title", "published", "text", "content_hash", "language", "language_score",
    "languages", "duplicate_of", "near_duplicate_of", "similarity", *METADATA_FIELDS,
)


@dataclass
class Document:
    """A document on its way from the source to the store.

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
    status: Status = Status.ACTIVE
    error: str | None = None
    format: str | None = None
    encoding: str | None = None
    title: str | None = None
    published: str | None = None
    author: str | None = None
    canonical_url: str | None = None
    language_hint: str | None = None
    url: str | None = None
    container: str | None = None
    pages: int | None = None
    text: str = ""
    content_hash: str | None = None
    language: str = "und"
    language_score: float = 0.0
    languages: list[dict[str, float | str]] = field(default_factory=list)
    duplicate_of: str | None = None
    near_duplicate_of: str | None = None
    similarity: float | None = None
    # MinHash of the main text, set by dedupe for the near-duplicate index; not part of the record.
    signature: bytes | None = field(default=None, repr=False)
    unchanged: bool = False
    deferred: bool = False

    @property
    def pending(self) -> bool:
        """Whether later content stages still have work to do on this document."""
        return self.status == Status.ACTIVE and not self.unchanged and not self.deferred

    def reject(self, reason: str) -> None:
        """Mark the document as rejected; it is still stored, with its reason."""
        self.status = Status.REJECTED
        self.error = reason
        self.text = ""
        self.content_hash = None

    def record_hash(self) -> str:
        """Hash of the recorded fields, so an unchanged re-ingest writes nothing.

        An `OPTIONAL_FIELDS` field that is None is left out of the hash, not hashed as
        null: documents stored before it existed keep the hash they were stored with.
        """
        payload = {
            name: value
            for name in RECORDED_FIELDS
            if (value := getattr(self, name)) is not None or name not in OPTIONAL_FIELDS
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def version_values(
    doc: Document, document_id: int, version: int, run_id: int, flow_run_id: str | None, now: datetime
) -> dict[str, Any]:
    """The `document_versions` row of a document's new version."""
    return dict(
        document_id=document_id,
        version=version,
        status=doc.status,
        title=doc.title,
        published=date.fromisoformat(doc.published) if doc.published else None,
        language=doc.language,
        language_score=doc.language_score,
        languages=doc.languages,
        text=doc.text,
        content_hash=doc.content_hash,
        duplicate_of=doc.duplicate_of,
        near_duplicate_of=doc.near_duplicate_of,
        similarity=doc.similarity,
        error=doc.error,
        meta={name: getattr(doc, name) for name in METADATA_FIELDS},
        file_sha256=doc.file_sha256,
        size=doc.size,
        mtime_ns=doc.mtime_ns,
        ingested_at=now,
        flow_run_id=flow_run_id,
        run_id=run_id,
    )


def document_from_version(key: str, version: DocumentVersion) -> Document:
    """The record a stored version holds, as the pipeline would have produced it."""
    return Document(
        key=key,
        path="",
        status=Status(version.status),
        error=version.error,
        title=version.title,
        published=version.published.isoformat() if version.published else None,
        text=version.text,
        content_hash=version.content_hash,
        language=version.language,
        language_score=version.language_score,
        languages=version.languages,
        duplicate_of=version.duplicate_of,
        near_duplicate_of=version.near_duplicate_of,
        similarity=version.similarity,
        **{name: version.meta.get(name) for name in METADATA_FIELDS},
    )


def utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def export_record(version: DocumentVersion, key: str) -> dict[str, Any]:
    """A stored version as the export contract's record."""
    return {
        "key": key,
        "version": version.version,
        "status": str(version.status),
        "title": version.title,
        "published": version.published.isoformat() if version.published else None,
        "language": version.language,
        "language_score": version.language_score,
        "languages": version.languages,
        "text": version.text,
        "content_hash": version.content_hash,
        "duplicate_of": version.duplicate_of,
        "near_duplicate_of": version.near_duplicate_of,
        "similarity": version.similarity,
        "error": version.error,
        **{name: None for name in METADATA_FIELDS},
        **version.meta,
        "file_sha256": version.file_sha256,
        "ingested_at": utc(version.ingested_at).isoformat(),
        "flow_run_id": version.flow_run_id,
    }
