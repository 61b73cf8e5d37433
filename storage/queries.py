"""Everything the pipeline and the CLI ask of the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from storage import near_duplicates
from storage.dialect import insert_ignoring_conflicts, locking
from storage.models import DocumentRow, DocumentVersion, IngestionRun, RejectedFile
from tasks import signatures
from tasks.document import METADATA_FIELDS, Document
from tasks.near_duplicates import Entry, link, rehome
from tasks.signatures import SignatureParams

# SQLite caps bound parameters per statement; stay well below it for IN (...) lists.
CHUNK = 500


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    file_sha256: str | None
    status: str


def start_run(session: Session, flow_run_id: str | None, source: str, now: datetime) -> int:
    """Register a run; a retried flow run reuses its row instead of adding another."""
    if flow_run_id is not None:
        existing = session.scalar(select(IngestionRun).where(IngestionRun.flow_run_id == flow_run_id))
        if existing is not None:
            existing.status = "running"
            return existing.id
    run = IngestionRun(flow_run_id=flow_run_id, source=source, started_at=now, status="running", counts={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, counts: dict[str, Any], now: datetime) -> None:
    session.execute(
        update(IngestionRun)
        .where(IngestionRun.id == run_id)
        .values(status=status, counts=counts, finished_at=now)
    )


def fingerprints(session: Session, keys: Sequence[str]) -> dict[str, Fingerprint]:
    """Stored size/mtime/sha256 for the given keys (missing keys are new files)."""
    found: dict[str, Fingerprint] = {}
    for chunk in _chunks(keys):
        rows = session.execute(
            select(
                DocumentRow.key, DocumentRow.size, DocumentRow.mtime_ns, DocumentRow.file_sha256, DocumentRow.status
            ).where(DocumentRow.key.in_(chunk))
        )
        for key, size, mtime_ns, sha, status in rows:
            found[key] = Fingerprint(size, mtime_ns, sha, status)
    return found


def live_keys(session: Session) -> Iterator[str]:
    """Keys whose current version is not `deleted`, streamed."""
    statement = select(DocumentRow.key).where(DocumentRow.status != "deleted").execution_options(yield_per=2000)
    yield from session.scalars(statement)


def first_keys_by_hash(session: Session, hashes: Iterable[str]) -> dict[str, str]:
    """For each content hash, the key of the earliest-seen active document that has it."""
    wanted = sorted(set(hashes))
    first: dict[str, str] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(DocumentRow.content_hash, DocumentRow.key)
            .where(DocumentRow.content_hash.in_(chunk), DocumentRow.status == "active")
            .order_by(DocumentRow.first_seen_at, DocumentRow.id)
        )
        for content_hash, key in rows:
            first.setdefault(content_hash, key)
    return first


def _documents_for_update(session: Session, keys: Sequence[str], now: datetime) -> dict[str, DocumentRow]:
    rows = [
        {"key": key, "first_seen_at": now, "current_version": 0, "status": "new", "size": 0, "mtime_ns": 0,
         "updated_at": now}
        for key in keys
    ]
    insert_ignoring_conflicts(session, DocumentRow.__table__, rows, ["key"])
    found: dict[str, DocumentRow] = {}
    for chunk in _chunks(sorted(keys)):
        statement = locking(session, select(DocumentRow).where(DocumentRow.key.in_(chunk)).order_by(DocumentRow.key))
        found.update((row.key, row) for row in session.scalars(statement))
    return found


def _published(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def write_batch(
    session: Session,
    documents: Sequence[Document],
    run_id: int,
    flow_run_id: str | None,
    now: datetime,
    params: SignatureParams = signatures.DEFAULT,
    linked_at: int | None = None,
) -> Counter[str]:
    """Store a batch: a new version for each changed document, fingerprints for all.

    Deferred documents (still being written when read) are left out entirely, so their
    old fingerprint makes the next run read them again.

    Rows are locked (PostgreSQL) and versions carry a unique (document, version) pair,
    so a retried or concurrent write can never add the same version twice. Near-copy
    links are settled here, under the index lock: the ones dedupe set stand if the
    index is still at the generation they were computed against (`linked_at`);
    otherwise they are computed again against what is committed now, so two workers
    storing copies of one text at once still agree on its canonical.
    """
    generation = near_duplicates.take(session)
    outcomes: Counter[str] = Counter()
    deferred = [d for d in documents if d.deferred]
    if deferred:
        outcomes["deferred"] = len(deferred)
        documents = [d for d in documents if not d.deferred]
    rows = _documents_for_update(session, [d.key for d in documents], now)
    pending = [d for d in documents if d.pending]
    if linked_at is None or linked_at != generation:
        _link_near_duplicates(session, pending, rows, params)
    ids = _ids(session, pending, rows)
    stored_before = {key for key, row in rows.items() if row.current_version > 0}
    versions: list[dict[str, Any]] = []
    changed: dict[int, Document] = {}
    for doc in documents:
        row = rows[doc.key]
        row.size, row.mtime_ns, row.updated_at = doc.size, doc.mtime_ns, now
        row.file_sha256 = doc.file_sha256 or row.file_sha256
        record_hash = doc.record_hash()
        if doc.unchanged or (row.record_hash == record_hash and row.status == doc.status):
            outcomes["unchanged"] += 1
            continue
        outcomes[_outcome(row, doc)] += 1
        if doc.duplicate_of:
            outcomes["duplicate"] += 1
        if doc.near_duplicate_of:
            outcomes["near_duplicate"] += 1
        row.current_version += 1
        row.status, row.content_hash, row.record_hash = doc.status, doc.content_hash, record_hash
        versions.append(_version(row, doc, run_id, flow_run_id, now))
        if doc.key in stored_before:
            changed[row.id] = doc
        if doc.status == "rejected":
            insert_ignoring_conflicts(
                session,
                RejectedFile.__table__,
                [{"key": doc.key, "reason": doc.error or "rejected", "rejected_at": now, "run_id": run_id}],
                ["run_id", "key"],
            )
    _add_versions(session, versions)
    _reindex(session, [d for d in documents if not d.unchanged], rows, ids, params)
    # Only a stored canonical whose record changed can owe its members new links: members
    # linked in this batch were linked against what it is now, and one re-read unchanged
    # keeps the cluster it heads (rescoring it would drop members that joined through
    # another member, and do so differently for every batch size).
    heads = {
        doc_id: Entry(d.key, near_duplicates.rank(rows[d.key].first_seen_at, doc_id), d.signature)
        for doc_id, d in changed.items()
        if _heads_a_cluster(d) and d.signature is not None
    }
    relinked = _rehome(
        session, near_duplicates.canonicals_among(session, list(changed)), heads, run_id, flow_run_id, now, params
    )
    if relinked:
        outcomes["near_duplicate_relinked"] += relinked
    return outcomes


def _link_near_duplicates(
    session: Session, documents: Sequence[Document], rows: dict[str, DocumentRow], params: SignatureParams
) -> None:
    """Link the batch's near copies (see `tasks.near_duplicates.link`) as dedupe does.

    Ranks are those dedupe sees too: stored first-seen order for documents stored
    before, batch order after everything stored for new ones.
    """
    signed = [d.signature for d in documents if d.signature is not None]
    buckets = [b for keys in signatures.bands_of(signed, params) for b in keys]
    entries = near_duplicates.candidates(session, buckets)
    ranks = {
        d.key: near_duplicates.rank(rows[d.key].first_seen_at, rows[d.key].id)
        for d in documents
        if rows[d.key].current_version > 0
    }
    link(documents, entries, ranks, params)


def _ids(session: Session, documents: Sequence[Document], rows: dict[str, DocumentRow]) -> dict[str, int]:
    """Store ids of the batch and of the stored canonicals its documents link to."""
    found = {key: row.id for key, row in rows.items()}
    outside = sorted({d.near_duplicate_of for d in documents if d.near_duplicate_of} - found.keys())
    return found | near_duplicates.ids(session, outside)


def _heads_a_cluster(doc: Document) -> bool:
    """Whether the document can stay the canonical its members point at."""
    return doc.status == "active" and doc.signature is not None and not doc.duplicate_of and not doc.near_duplicate_of


def _reindex(
    session: Session,
    documents: Sequence[Document],
    rows: dict[str, DocumentRow],
    ids: dict[str, int],
    params: SignatureParams,
) -> None:
    """Replace the index rows of every re-read document with its current state."""
    indexed = [d for d in documents if d.pending and d.signature is not None and not d.duplicate_of]
    entries = [
        near_duplicates.IndexRow(
            document_id=rows[d.key].id,
            signature=d.signature,
            buckets=buckets,
            canonical_id=ids[d.near_duplicate_of] if d.near_duplicate_of else None,
            similarity=d.similarity,
        )
        for d, buckets in zip(indexed, signatures.bands_of([d.signature for d in indexed], params))
    ]
    near_duplicates.replace(session, [rows[d.key].id for d in documents], entries)


def _rehome(
    session: Session,
    canonical_ids: Sequence[int],
    heads: dict[int, Entry],
    run_id: int,
    flow_run_id: str | None,
    now: datetime,
    params: SignatureParams,
) -> int:
    """Re-settle the clusters of canonicals that were re-read, deleted or rejected.

    A canonical still heading a cluster (in `heads`, with its new signature) keeps the
    members still similar to it, re-scored; for one that left, the earliest remaining
    member takes over (`tasks.near_duplicates.rehome`). Members get new versions where
    their link or similarity changed; returns how many.
    """
    links: dict[str, tuple[str | None, float | None]] = {}
    ids: dict[str, int] = {entry.key: doc_id for doc_id, entry in heads.items()}
    for canonical_id, members in near_duplicates.members(session, canonical_ids).items():
        links.update(rehome(members, heads.get(canonical_id), params.threshold))
        ids.update((m.key, m.id) for m in members if m.id is not None)
    near_duplicates.set_links(
        session, {ids[key]: (ids[head] if head else None, score) for key, (head, score) in links.items()}
    )
    return _relink(session, links, run_id, flow_run_id, now)


def _relink(
    session: Session,
    links: dict[str, tuple[str | None, float | None]],
    run_id: int,
    flow_run_id: str | None,
    now: datetime,
) -> int:
    """A new version for each document whose near-duplicate link changed, the rest copied."""
    versions: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(links)):
        statement = locking(
            session,
            select(DocumentRow, DocumentVersion)
            .join(DocumentVersion, DocumentVersion.document_id == DocumentRow.id)
            .where(DocumentRow.key.in_(chunk), DocumentVersion.version == DocumentRow.current_version)
            .order_by(DocumentRow.key),
        )
        for row, version in session.execute(statement).all():
            doc = _document(row.key, version)
            doc.near_duplicate_of, doc.similarity = links[row.key]
            record_hash = doc.record_hash()
            if record_hash == row.record_hash:
                continue
            row.current_version += 1
            row.record_hash, row.updated_at = record_hash, now
            versions.append(_version(row, doc, run_id, flow_run_id, now))
    _add_versions(session, versions)
    return len(versions)


def _document(key: str, version: DocumentVersion) -> Document:
    """The record a stored version holds, as the pipeline would have produced it."""
    return Document(
        key=key,
        path="",
        status=version.status,  # type: ignore[arg-type]
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


def _outcome(row: DocumentRow, doc: Document) -> str:
    if doc.status == "rejected":
        return "rejected"
    return "new" if row.current_version == 0 or row.status == "deleted" else "updated"


def _add_versions(session: Session, versions: list[dict[str, Any]]) -> None:
    """Append versions as one table insert, after the document rows they bump.

    Versions are never read back in the transaction that writes them, so they skip the
    ORM's objects and unit of work (~0.4 ms a version).
    """
    session.flush()
    if versions:
        session.execute(insert(DocumentVersion.__table__), versions)


def _version(row: DocumentRow, doc: Document, run_id: int, flow_run_id: str | None, now: datetime) -> dict[str, Any]:
    return dict(
        document_id=row.id,
        version=row.current_version,
        status=doc.status,
        title=doc.title,
        published=_published(doc.published),
        language=doc.language,
        language_score=doc.language_score,
        languages=doc.languages,
        text=doc.text,
        content_hash=doc.content_hash,
        duplicate_of=doc.duplicate_of,
        near_duplicate_of=doc.near_duplicate_of,
        similarity=doc.similarity,
        error=doc.error,
        meta=doc.metadata(),
        file_sha256=doc.file_sha256,
        size=doc.size,
        mtime_ns=doc.mtime_ns,
        ingested_at=now,
        flow_run_id=flow_run_id,
        run_id=run_id,
    )


def mark_deleted(
    session: Session,
    keys: Sequence[str],
    run_id: int,
    flow_run_id: str | None,
    now: datetime,
    params: SignatureParams = signatures.DEFAULT,
) -> int:
    """Give each vanished file a `deleted` version; its earlier versions stay.

    A vanished file leaves the near-duplicate index, and a cluster it headed passes
    to its next earliest member.
    """
    near_duplicates.take(session)
    deleted_ids: list[int] = []
    versions: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(keys)):
        statement = locking(
            session,
            select(DocumentRow).where(DocumentRow.key.in_(chunk), DocumentRow.status != "deleted").order_by(DocumentRow.key),
        )
        for row in session.scalars(statement):
            gone = Document(key=row.key, path="", status="deleted")
            row.current_version += 1
            row.status, row.content_hash, row.record_hash, row.updated_at = "deleted", None, gone.record_hash(), now
            versions.append(_version(row, gone, run_id, flow_run_id, now))
            deleted_ids.append(row.id)
    _add_versions(session, versions)
    near_duplicates.replace(session, deleted_ids, [])
    _rehome(session, near_duplicates.canonicals_among(session, deleted_ids), {}, run_id, flow_run_id, now, params)
    return len(deleted_ids)


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _export(version: DocumentVersion, key: str) -> dict[str, Any]:
    return {
        "key": key,
        "version": version.version,
        "status": version.status,
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
        **version.meta,
        "file_sha256": version.file_sha256,
        "ingested_at": _utc(version.ingested_at).isoformat(),
        "flow_run_id": version.flow_run_id,
    }


def export_records(session: Session, all_versions: bool = False) -> Iterator[dict[str, Any]]:
    """Current version of every document (or every version), in key order, streamed."""
    statement = select(DocumentVersion, DocumentRow.key).join(DocumentRow, DocumentVersion.document_id == DocumentRow.id)
    if not all_versions:
        statement = statement.where(DocumentVersion.version == DocumentRow.current_version)
    statement = statement.order_by(DocumentRow.key, DocumentVersion.version).execution_options(yield_per=500)
    for version, key in session.execute(statement):
        yield _export(version, key)


def history(session: Session, key: str) -> list[dict[str, Any]]:
    statement = (
        select(DocumentVersion)
        .join(DocumentRow, DocumentVersion.document_id == DocumentRow.id)
        .where(DocumentRow.key == key)
        .order_by(DocumentVersion.version)
    )
    return [_export(v, key) for v in session.scalars(statement)]


def version_of(session: Session, key: str, version: int | None = None) -> dict[str, Any] | None:
    """One stored version of `key` (its current one by default)."""
    statement = select(DocumentVersion).join(DocumentRow, DocumentVersion.document_id == DocumentRow.id).where(
        DocumentRow.key == key
    )
    if version is None:
        statement = statement.where(DocumentVersion.version == DocumentRow.current_version)
    else:
        statement = statement.where(DocumentVersion.version == version)
    found = session.scalar(statement)
    return _export(found, key) if found else None


def rejected_reasons(session: Session, run_id: int) -> list[tuple[str, str]]:
    statement = select(RejectedFile.key, RejectedFile.reason).where(RejectedFile.run_id == run_id).order_by(RejectedFile.key)
    return [(key, reason) for key, reason in session.execute(statement)]


def ingestion_runs(session: Session) -> list[dict[str, Any]]:
    statement = select(IngestionRun).order_by(IngestionRun.started_at, IngestionRun.id)
    return [
        {
            "flow_run_id": run.flow_run_id,
            "source": run.source,
            "status": run.status,
            "started_at": _utc(run.started_at),
            "finished_at": _utc(run.finished_at) if run.finished_at else None,
            "counts": run.counts,
        }
        for run in session.scalars(statement)
    ]
