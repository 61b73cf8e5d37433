"""What the corpus browser reads: aggregates, keyset-paginated lists, one document, one run.

Each function takes a session and returns plain data (dicts and lists), so it can become
a method of the store's Python API unchanged. Lists are keyset-paginated on indexed
columns (a page is one index range, never an OFFSET scan) and hand back opaque cursors.
Search is `text_search`, a LIKE fallback kept in one place until full-text search lands.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from storage.dialect import in_few
from storage.models import DocumentRow, DocumentVersion, IngestionRun, NearDuplicateSignature
from storage.record import METADATA_FIELDS, export_record, utc
from storage.status import Status

PAGE = 50
# The change kinds a run can have made to a document.
KINDS = ("created", "updated", "deleted", "rejected")
_CURRENT = and_(DocumentVersion.document_id == DocumentRow.id, DocumentVersion.version == DocumentRow.current_version)
_FORMAT = DocumentVersion.meta["format"].as_string()
# Fields whose change a version's history names (text is compared by its hash).
_COMPARED = ("status", "title", "published", "language", "duplicate_of", "near_duplicate_of", "error", *METADATA_FIELDS)


class BadCursor(ValueError):
    """A `page` parameter that is not a cursor this module handed out."""


def encode_cursor(*values: Any, backwards: bool = False) -> str:
    """An opaque, URL-safe cursor: the sort key of a page's edge row, and which way to go."""
    payload = json.dumps({"v": list(values), "b": backwards}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> tuple[list[Any], bool]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values, backwards = data["v"], bool(data["b"])
    except (ValueError, KeyError, TypeError) as error:
        raise BadCursor(f"not a page cursor: {cursor[:40]!r}") from error
    if not isinstance(values, list) or len(values) != arity:
        raise BadCursor(f"not a page cursor: {cursor[:40]!r}")
    return values, backwards


@dataclass(frozen=True)
class DocumentFilter:
    """What the document list is narrowed to; `run` is a Prefect flow-run id."""

    q: str | None = None
    language: str | None = None
    status: str | None = None
    format: str | None = None
    run: str | None = None


def text_search(session: Session, query: str) -> ColumnElement[bool]:
    """Current versions whose title or text holds every word of `query` (case-insensitive).

    A LIKE scan: the stand-in for the store's full-text search, to be swapped for it here.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    conditions = []
    for word in query.split()[:10]:
        if postgres:
            conditions.append(or_(DocumentVersion.title.icontains(word, autoescape=True),
                                  DocumentVersion.text.icontains(word, autoescape=True)))
        else:  # SQLite's LIKE already ignores ASCII case
            conditions.append(or_(DocumentVersion.title.contains(word, autoescape=True),
                                  DocumentVersion.text.contains(word, autoescape=True)))
    return and_(*conditions)


def overview(session: Session, recent_runs: int = 10, timeline_runs: int = 30, recent_changes: int = 10) -> dict[str, Any]:
    """The corpus at a glance: documents by status, language and format, copies, recent runs.

    Languages, formats and exact copies come from ONE grouped pass over the current
    versions of active documents, the only part that reads every document.
    """
    stored = DocumentRow.current_version > 0
    statuses = dict(session.execute(select(DocumentRow.status, func.count()).where(stored).group_by(DocumentRow.status)).all())
    is_copy = DocumentVersion.duplicate_of.is_not(None)
    grouped = session.execute(
        select(DocumentVersion.language, _FORMAT, is_copy, func.count()).join(DocumentRow, _CURRENT)
        .where(DocumentRow.status == Status.ACTIVE).group_by(DocumentVersion.language, _FORMAT, is_copy)
    ).all()
    languages: Counter[str] = Counter()
    formats: Counter[str] = Counter()
    exact = 0
    for language, fmt, copy, count in grouped:
        languages[language or ""] += count
        formats[fmt or ""] += count
        exact += count if copy else 0
    member = aliased(DocumentRow)
    near = session.execute(
        select(func.count(), func.count(NearDuplicateSignature.canonical_id.distinct()))
        .join(member, member.id == NearDuplicateSignature.document_id)
        .where(NearDuplicateSignature.canonical_id.is_not(None), member.status == Status.ACTIVE)
    ).one()
    runs_newest_first = _runs(session, None, max(recent_runs, timeline_runs))
    latest = session.execute(
        select(*_LIST_COLUMNS).join(DocumentVersion, _CURRENT).where(stored)
        .order_by(DocumentRow.updated_at.desc(), DocumentRow.id.desc()).limit(recent_changes)
    ).all()
    return {
        "documents": sum(statuses.values()),
        "versions": session.scalar(select(func.count()).select_from(DocumentVersion)),
        "by_status": {str(s): statuses.get(s, 0) for s in Status},
        "by_language": _ranked(languages),
        "by_format": _ranked(formats),
        "exact_copies": exact,
        "near_copies": near[0],
        "near_clusters": near[1],
        "recent_runs": runs_newest_first[:recent_runs],
        "timeline": list(reversed(runs_newest_first[:timeline_runs])),
        "recent_changes": [_list_row(row) for row in latest],
    }


def _ranked(counts: Counter[str]) -> list[dict[str, Any]]:
    return [{"value": value, "count": count} for value, count in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]


def _touched_by(session: Session, statement: Any, flow_run_id: str) -> Any:
    """Narrow the list to documents a run wrote a version of, planned from the run's size.

    A run that wrote a few versions is read through the run index and its documents
    sorted; one that wrote most of the store is found walking the key index, where its
    documents are dense.
    """
    run_id = session.scalar(select(IngestionRun.id).where(IngestionRun.flow_run_id == flow_run_id))
    touched = aliased(DocumentVersion)
    documents_of_run = select(touched.document_id).where(touched.run_id == run_id)
    written = session.scalar(select(func.count()).select_from(documents_of_run.subquery()))
    stored = session.scalar(select(func.max(DocumentRow.id))) or 0
    if written * 5 >= stored:
        return statement.where(DocumentRow.id.in_(documents_of_run))
    if session.get_bind().dialect.name == "postgresql":
        # Planned as a hash join over every document otherwise; `in_few` fetches the few by id.
        return statement.where(in_few(session, DocumentRow.id, documents_of_run))
    ids = documents_of_run.distinct().subquery()
    return statement.join(ids, ids.c.document_id == DocumentRow.id)


def filter_choices(overview: dict[str, Any]) -> dict[str, list[str]]:
    """The values the list's language and format filters offer: those the overview counted."""
    return {
        "languages": sorted(row["value"] for row in overview["by_language"] if row["value"]),
        "formats": sorted(row["value"] for row in overview["by_format"] if row["value"]),
        "statuses": [str(s) for s in Status],
    }


def _run_dict(run: IngestionRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "flow_run_id": run.flow_run_id,
        "source": run.source,
        "status": str(run.status),
        "started_at": utc(run.started_at),
        "finished_at": utc(run.finished_at) if run.finished_at else None,
        "counts": dict(run.counts or {}),
    }


def _runs(session: Session, before_id: int | None, limit: int) -> list[dict[str, Any]]:
    statement = select(IngestionRun).order_by(IngestionRun.id.desc()).limit(limit)
    if before_id is not None:
        statement = statement.where(IngestionRun.id < before_id)
    return [_run_dict(run) for run in session.scalars(statement)]


def runs(session: Session, cursor: str | None = None, limit: int = PAGE) -> dict[str, Any]:
    """Ingestion runs, newest first (run ids grow with time)."""
    before = int(decode_cursor(cursor, 1)[0][0]) if cursor else None
    found = _runs(session, before, limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return {"runs": found, "next": encode_cursor(found[-1]["id"]) if more else None}


# What a list row shows of a document and its current version (never the text).
_LIST_COLUMNS = (DocumentRow.key, DocumentRow.status, DocumentRow.current_version, DocumentRow.updated_at,
                 DocumentVersion.title, DocumentVersion.error, DocumentVersion.language, _FORMAT.label("format"))


def _list_row(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "title": row.title,
        "error": row.error,
        "language": row.language,
        "format": row.format,
        "status": str(row.status),
        "version": row.current_version,
        "updated_at": utc(row.updated_at),
    }


def _page(rows: list[Any], limit: int, backwards: bool, had_cursor: bool, edge: Any) -> tuple[list[Any], str | None, str | None]:
    """Trim a keyset query's `limit + 1` rows to a page and make its previous/next cursors."""
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return rows, None, None
    has_next = more if not backwards else True
    has_previous = (more if backwards else had_cursor)
    following = encode_cursor(*edge(rows[-1])) if has_next else None
    preceding = encode_cursor(*edge(rows[0]), backwards=True) if has_previous else None
    return rows, preceding, following


def documents(session: Session, filters: DocumentFilter, cursor: str | None = None, limit: int = PAGE) -> dict[str, Any]:
    """Stored documents in key order, narrowed by `filters`, one page after (or before) `cursor`.

    Filters on the document row alone (status, run) cut the page from the key index first
    and join the current versions of its rows only; the others filter the joined rows.
    """
    on_versions = filters.language or filters.format or (filters.q and filters.q.split())
    rows_only = select(DocumentRow.id).where(DocumentRow.current_version > 0)
    statement = rows_only.join(DocumentVersion, _CURRENT) if on_versions else rows_only
    if filters.status:
        statement = statement.where(DocumentRow.status == filters.status)
    if filters.language:
        statement = statement.where(DocumentVersion.language == filters.language)
    if filters.format:
        statement = statement.where(_FORMAT == filters.format)
    if filters.q and filters.q.split():
        statement = statement.where(text_search(session, filters.q))
    if filters.run:
        statement = _touched_by(session, statement, filters.run)
    backwards = False
    if cursor:
        (key,), backwards = decode_cursor(cursor, 1)
        statement = statement.where(DocumentRow.key < key if backwards else DocumentRow.key > key)
    order = DocumentRow.key.desc() if backwards else DocumentRow.key
    page = statement.order_by(order).limit(limit + 1).subquery()
    joined = select(*_LIST_COLUMNS).join(page, page.c.id == DocumentRow.id).join(DocumentVersion, _CURRENT)
    found = sorted(session.execute(joined).all(), key=lambda r: r.key, reverse=backwards)
    rows, preceding, following = _page(found, limit, backwards, cursor is not None, lambda r: (r.key,))
    return {"documents": [_list_row(row) for row in rows],
            "previous": preceding, "next": following}


def _version_dict(version: DocumentVersion, key: str, text_length: int | None = None) -> dict[str, Any]:
    """The export record (`storage.record`) as the pages show it: metadata grouped, no text."""
    record = export_record(version, key)
    del record["text"]
    meta = {name: record.pop(name, None) for name in METADATA_FIELDS}
    return {**record, "meta": meta, "size": version.size, "ingested_at": utc(version.ingested_at), "text_length": text_length}


def _flat(version: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in version.items() if k != "meta"}, **version["meta"]}


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """What a version changed against the one before it ("text" when its content hash moved)."""
    if before is None:
        return ["first version"]
    old, new = _flat(before), _flat(after)
    changes = [name for name in _COMPARED if old.get(name) != new.get(name)]
    if old.get("content_hash") != new.get("content_hash") or old.get("text_length") != new.get("text_length"):
        changes.insert(0, "text")
    if old.get("similarity") != new.get("similarity") and "near_duplicate_of" not in changes:
        changes.append("similarity")
    return changes


def document(session: Session, key: str, copies_limit: int = 50) -> dict[str, Any] | None:
    """A document's current version with its text, every version's summary, and its copies."""
    row = session.scalar(select(DocumentRow).where(DocumentRow.key == key))
    if row is None or row.current_version == 0:
        return None
    history_rows = session.execute(
        select(DocumentVersion, func.length(DocumentVersion.text))
        .where(DocumentVersion.document_id == row.id)
        .order_by(DocumentVersion.version)
    ).all()
    versions = [_version_dict(v, key, length) for v, length in history_rows]
    previous = None
    for version in versions:
        version["changes"] = changed_fields(previous, version)
        previous = version
    current = session.scalar(
        select(DocumentVersion).where(DocumentVersion.document_id == row.id, DocumentVersion.version == row.current_version)
    )
    text = current.text if current else ""
    copy_row = aliased(DocumentRow)
    copies = session.scalars(
        select(copy_row.key).join(DocumentVersion, and_(DocumentVersion.document_id == copy_row.id,
                                                       DocumentVersion.version == copy_row.current_version))
        .where(DocumentVersion.duplicate_of == key, copy_row.status == Status.ACTIVE)
        .order_by(copy_row.key).limit(copies_limit)
    ).all()
    near_members = session.execute(
        select(copy_row.key, NearDuplicateSignature.similarity)
        .join(copy_row, copy_row.id == NearDuplicateSignature.document_id)
        .where(NearDuplicateSignature.canonical_id == row.id, copy_row.status == Status.ACTIVE)
        .order_by(NearDuplicateSignature.similarity.desc(), copy_row.key).limit(copies_limit)
    ).all()
    return {
        **(versions[-1] if versions else {}),
        "current_version": row.current_version,
        "first_seen_at": utc(row.first_seen_at),
        "updated_at": utc(row.updated_at),
        "text": text,
        "history": versions,
        "exact_copies": list(copies),
        "near_copies": [{"key": k, "similarity": s} for k, s in near_members],
    }


def version_numbers(session: Session, key: str) -> list[int] | None:
    """The version numbers a document has, oldest first (None: no such document)."""
    numbers = session.scalars(
        select(DocumentVersion.version).join(DocumentRow, DocumentRow.id == DocumentVersion.document_id)
        .where(DocumentRow.key == key).order_by(DocumentVersion.version)
    ).all()
    return list(numbers) or None


def version_texts(session: Session, key: str, versions: tuple[int, int]) -> dict[int, dict[str, Any]]:
    """Two (or one) versions of a document with their texts, by version number."""
    statement = (
        select(DocumentVersion).join(DocumentRow, DocumentRow.id == DocumentVersion.document_id)
        .where(DocumentRow.key == key, DocumentVersion.version.in_(sorted(set(versions))))
    )
    return {v.version: {**_version_dict(v, key, len(v.text)), "text": v.text} for v in session.scalars(statement)}


def current_versions(session: Session, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Current versions of a few keys, with their texts (a cluster's side-by-side view)."""
    statement = select(DocumentRow.key, DocumentVersion).join(DocumentVersion, _CURRENT).where(DocumentRow.key.in_(keys))
    return {key: {**_version_dict(v, key, len(v.text)), "text": v.text} for key, v in session.execute(statement)}


def clusters(session: Session, cursor: str | None = None, limit: int = PAGE) -> dict[str, Any]:
    """Near-duplicate clusters, largest first: canonical key and title, member count."""
    member = aliased(DocumentRow)
    size = func.count().label("size")
    grouped = (
        select(NearDuplicateSignature.canonical_id.label("canonical_id"), size)
        .join(member, member.id == NearDuplicateSignature.document_id)
        .where(NearDuplicateSignature.canonical_id.is_not(None), member.status == Status.ACTIVE)
        .group_by(NearDuplicateSignature.canonical_id)
    )
    backwards = False
    if cursor:
        (count, canonical_id), backwards = decode_cursor(cursor, 2)
        if backwards:
            grouped = grouped.having(or_(size > count, and_(size == count, NearDuplicateSignature.canonical_id < canonical_id)))
        else:
            grouped = grouped.having(or_(size < count, and_(size == count, NearDuplicateSignature.canonical_id > canonical_id)))
    order = (size.asc(), NearDuplicateSignature.canonical_id.desc()) if backwards else (size.desc(), NearDuplicateSignature.canonical_id)
    groups = grouped.order_by(*order).limit(limit + 1).subquery()
    statement = (
        select(groups.c.canonical_id, groups.c.size, DocumentRow.key, DocumentVersion.title)
        .join(DocumentRow, DocumentRow.id == groups.c.canonical_id)
        .join(DocumentVersion, _CURRENT)
    )
    found = sorted(session.execute(statement).all(), key=lambda r: (-r.size, r.canonical_id), reverse=backwards)
    rows, preceding, following = _page(found, limit, backwards, cursor is not None, lambda r: (r.size, r.canonical_id))
    return {"clusters": [{"canonical": r.key, "title": r.title, "members": r.size} for r in rows],
            "previous": preceding, "next": following}


def exact_copy_groups(session: Session, limit: int = PAGE) -> list[dict[str, Any]]:
    """Originals with the most exact copies among current active versions."""
    copies = func.count().label("copies")
    statement = (
        select(DocumentVersion.duplicate_of, copies).join(DocumentRow, _CURRENT)
        .where(DocumentVersion.duplicate_of.is_not(None), DocumentRow.status == Status.ACTIVE)
        .group_by(DocumentVersion.duplicate_of).order_by(copies.desc(), DocumentVersion.duplicate_of).limit(limit)
    )
    return [{"original": original, "copies": count} for original, count in session.execute(statement)]


def cluster(session: Session, canonical_key: str, limit: int = 200) -> dict[str, Any] | None:
    """A cluster headed by `canonical_key`: its near copies (most similar first) and exact copies."""
    head = session.scalar(select(DocumentRow).where(DocumentRow.key == canonical_key))
    if head is None:
        return None
    member = aliased(DocumentRow)
    members = session.execute(
        select(member.key, NearDuplicateSignature.similarity, DocumentVersion.title)
        .join(member, member.id == NearDuplicateSignature.document_id)
        .join(DocumentVersion, and_(DocumentVersion.document_id == member.id, DocumentVersion.version == member.current_version))
        .where(NearDuplicateSignature.canonical_id == head.id, member.status == Status.ACTIVE)
        .order_by(NearDuplicateSignature.similarity.desc(), member.key).limit(limit)
    ).all()
    total = session.scalar(
        select(func.count()).select_from(NearDuplicateSignature)
        .join(member, member.id == NearDuplicateSignature.document_id)
        .where(NearDuplicateSignature.canonical_id == head.id, member.status == Status.ACTIVE)
    )
    copies = session.execute(
        select(member.key, DocumentVersion.title)
        .join(DocumentVersion, and_(DocumentVersion.document_id == member.id, DocumentVersion.version == member.current_version))
        .where(DocumentVersion.duplicate_of == canonical_key, member.status == Status.ACTIVE)
        .order_by(member.key).limit(limit)
    ).all()
    if not members and not copies:
        return None
    return {
        "canonical": canonical_key,
        "members": [{"key": k, "similarity": s, "title": t} for k, s, t in members],
        "member_count": total,
        "exact_copies": [{"key": k, "title": t} for k, t in copies],
    }


def run(session: Session, flow_run_id: str) -> dict[str, Any] | None:
    found = session.scalar(select(IngestionRun).where(IngestionRun.flow_run_id == flow_run_id))
    return _run_dict(found) if found is not None else None


def run_changes(session: Session, run_id: int, kind: str, cursor: str | None = None, limit: int = PAGE) -> dict[str, Any]:
    """The versions one run wrote of one change kind, a page after `cursor`.

    `created` is a document's first version; `updated` every later active one, a document
    back after a deletion included (flagged `restored`). Both, like `deleted` and
    `rejected`, are one range of the run index (run, status, version, document, id),
    read in that order, however many versions the run wrote.
    """
    status = {"deleted": Status.DELETED, "rejected": Status.REJECTED}.get(kind, Status.ACTIVE)
    versions = (
        select(DocumentVersion.id, DocumentVersion.version, DocumentVersion.document_id, DocumentVersion.title,
               DocumentVersion.error)
        .where(DocumentVersion.run_id == run_id, DocumentVersion.status == status)
    )
    if kind == "created":
        versions = versions.where(DocumentVersion.version == 1)
    elif kind == "updated":
        versions = versions.where(DocumentVersion.version > 1)
    columns = (DocumentVersion.version, DocumentVersion.document_id, DocumentVersion.id)
    backwards = False
    if cursor:
        edge, backwards = decode_cursor(cursor, 3)
        versions = versions.where(tuple_(*columns) < tuple(edge) if backwards else tuple_(*columns) > tuple(edge))
    # The page is cut from the run index before the join: joined first, PostgreSQL merges
    # the run's versions with every document in id order to find the first few.
    page = versions.order_by(*(tuple(c.desc() for c in columns) if backwards else columns)).limit(limit + 1).subquery()
    before = aliased(DocumentVersion)
    previous_status = (
        select(before.status)
        .where(before.document_id == page.c.document_id, before.version == page.c.version - 1)
        .scalar_subquery()
    )
    statement = select(page, DocumentRow.key, previous_status.label("previous_status")).join(
        DocumentRow, DocumentRow.id == page.c.document_id
    )
    found = sorted(session.execute(statement).all(), key=lambda r: (r.version, r.document_id, r.id), reverse=backwards)
    rows, preceding, following = _page(found, limit, backwards, cursor is not None, lambda r: (r.version, r.document_id, r.id))
    return {
        "kind": kind,
        "changes": [{"key": r.key, "version": r.version, "title": r.title, "reason": r.error,
                     "restored": r.previous_status == Status.DELETED} for r in rows],
        "previous": preceding,
        "next": following,
    }


def rejected_reasons(session: Session, limit: int = 100, samples: int = 5) -> list[dict[str, Any]]:
    """Currently rejected documents grouped by reason, most common first, with a few keys each."""
    count = func.count().label("count")
    grouped = session.execute(
        select(DocumentVersion.error, count).join(DocumentRow, _CURRENT)
        .where(DocumentRow.status == Status.REJECTED)
        .group_by(DocumentVersion.error).order_by(count.desc(), DocumentVersion.error).limit(limit)
    ).all()
    reasons = []
    for reason, total in grouped:
        keys = session.scalars(
            select(DocumentRow.key).join(DocumentVersion, _CURRENT)
            .where(DocumentRow.status == Status.REJECTED, _same_reason(reason))
            .order_by(DocumentRow.key).limit(samples)
        ).all()
        reasons.append({"reason": reason or "rejected", "raw_reason": reason, "count": total, "examples": list(keys)})
    return reasons


def _same_reason(reason: str | None) -> ColumnElement[bool]:
    return DocumentVersion.error.is_(None) if reason is None else DocumentVersion.error == reason


def rejected_with_reason(session: Session, reason: str, cursor: str | None = None, limit: int = PAGE) -> dict[str, Any]:
    """Every currently rejected document with one reason, in key order."""
    statement = (
        select(DocumentRow.key, DocumentRow.updated_at).join(DocumentVersion, _CURRENT)
        .where(DocumentRow.status == Status.REJECTED, _same_reason(reason))
    )
    backwards = False
    if cursor:
        (key,), backwards = decode_cursor(cursor, 1)
        statement = statement.where(DocumentRow.key < key if backwards else DocumentRow.key > key)
    order = DocumentRow.key.desc() if backwards else DocumentRow.key
    found = list(session.execute(statement.order_by(order).limit(limit + 1)).all())
    rows, preceding, following = _page(found, limit, backwards, cursor is not None, lambda r: (r.key,))
    return {"reason": reason, "documents": [{"key": k, "updated_at": utc(t)} for k, t in rows],
            "previous": preceding, "next": following}


def latest_moment(session: Session) -> tuple[int | None, int | None, datetime | None]:
    """A cheap stamp of the store's state: the newest version and run, and when the last run ended."""
    return (
        session.scalar(select(func.max(DocumentVersion.id))),
        session.scalar(select(func.max(IngestionRun.id))),
        session.scalar(select(func.max(IngestionRun.finished_at))),
    )

