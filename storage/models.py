"""SQLAlchemy 2.x models of the store.

`documents` holds one row per key with its *current* state (for fast fingerprint and
duplicate look-ups); `document_versions` is the append-only history that exports read.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.status import RunStatus, Status


def _as_text(enum: type[StrEnum]) -> Enum:
    """A status stored as its value in the existing VARCHAR(16) column: no native type, no
    CHECK constraint, so the mapping needs no migration and old rows read back typed."""
    return Enum(enum, native_enum=False, create_constraint=False, length=16, values_callable=lambda e: [m.value for m in e])


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class IngestionRun(Base):
    __tablename__ = "ingestion_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[RunStatus] = mapped_column(_as_text(RunStatus), default=RunStatus.RUNNING)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[Status] = mapped_column(_as_text(Status))
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    record_hash: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    mtime_ns: Mapped[int] = mapped_column(BigInteger, default=0)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    versions: Mapped[list[DocumentVersion]] = relationship(back_populates="document", order_by="DocumentVersion.version")


class DocumentVersion(Base):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[Status] = mapped_column(_as_text(Status))
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(16), default="und")
    language_score: Mapped[float] = mapped_column(Float, default=0.0)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str | None] = mapped_column(String(64))
    duplicate_of: Mapped[str | None] = mapped_column(Text)
    near_duplicate_of: Mapped[str | None] = mapped_column(Text)
    similarity: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    mtime_ns: Mapped[int] = mapped_column(BigInteger, default=0)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingestion_runs.id"))
    # The version's place in commit order (`storage.feed`) and what it did to its document.
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
    change: Mapped[str | None] = mapped_column(String(8))

    document: Mapped[DocumentRow] = relationship(back_populates="versions")


class ContainerRow(Base):
    """The fingerprint of a container file (WARC, ZIP, TAR, dataset) as of its last complete reading.

    Its members are documents of their own, keyed `container#member`; the container
    is no document, so its fingerprint lives here: discovery skips a container whose
    size and mtime match, unopened, and keeps its members as they are. `damage` is what
    ended that reading early, if anything (its members after the damage are unread).
    """

    __tablename__ = "containers"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    members: Mapped[int] = mapped_column(Integer, default=0)
    damage: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RejectedFile(Base):
    __tablename__ = "rejected_files"
    __table_args__ = (UniqueConstraint("run_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingestion_runs.id"))


Index("ix_rejected_files_key", RejectedFile.key)
# What the corpus browser pages on (migration 0005): a run's versions by change kind, the exact
# copies of a document, and documents by status in key order.
Index("ix_document_versions_run", DocumentVersion.run_id, DocumentVersion.status, DocumentVersion.version,
      DocumentVersion.document_id, DocumentVersion.id)
Index("ix_document_versions_duplicate_of", DocumentVersion.duplicate_of,
      sqlite_where=DocumentVersion.duplicate_of.is_not(None), postgresql_where=DocumentVersion.duplicate_of.is_not(None))
Index("ix_documents_status_key", DocumentRow.status, DocumentRow.key)


class NearDuplicateSignature(Base):
    """MinHash signature of an active document's current text, and the cluster it is in.

    `canonical_id` is NULL for a canonical (or lone) document; members point straight
    at their canonical, so a cluster is read with one indexed look-up.
    """

    __tablename__ = "near_duplicate_signatures"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    canonical_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    similarity: Mapped[float | None] = mapped_column(Float)


class LshBand(Base):
    """One LSH band key of a signed document; documents sharing a key are candidates.

    The band number is hashed into `bucket`, so a batch's keys are one `IN` list on
    the primary key's leading column. On SQLite the table is clustered on that key
    (WITHOUT ROWID): one B-tree less to update for every row written.
    """

    __tablename__ = "lsh_bands"
    __table_args__ = {"sqlite_with_rowid": False}

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True, index=True)


class NearDuplicateIndexState(Base):
    """One row: how many writes the near-duplicate index has taken.

    Dedupe links a batch against the index as it read it; the store, holding the index
    lock, re-links only when this count moved on in between (another writer got there
    first), so a lone ingest does the linking work once per batch, not twice.
    """

    __tablename__ = "near_duplicate_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)


class ChangeFeedState(Base):
    """One row: the last cursor handed out, and the newest cursor whose version was pruned."""

    __tablename__ = "change_feed_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)


class Purge(Base):
    """An erased document: which key, when, by which command, and its cursor in the feed.

    Nothing of the content is kept; the feed reports the purge as the key's deletion.
    """

    __tablename__ = "purges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(Text)
    purged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    command: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
