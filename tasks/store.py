"""Stage 6: write a batch to the store in one transaction, under the near-duplicate index lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.orm import Session

from storage import containers, near_index, versions
from storage.session import session_scope
from tasks.batch import Batch
from tasks.dedupe import link_copies
from tasks.members import Settlement
from tasks.near_duplicates import index
from tasks.near_duplicates.lookup import known_for


def store(batch: Batch, db_url: str, run_id: int, flow_run_id: str | None) -> Batch:
    """Persist the batch; a retry after a failure rewrites nothing already committed.

    The links dedupe set stand if the index is still at the generation they were
    computed against (`batch.linked_at`); otherwise another writer got there first, and
    exact and near links are computed again against what is committed now.
    """
    now = datetime.now(UTC)
    with session_scope(db_url) as session:
        generation = near_index.take(session)
        if batch.linked_at is None or batch.linked_at != generation:
            # A batch of its own: the links replace dedupe's, the counts stay dedupe's.
            again = Batch(batch.pending())
            link_copies(again, known_for(session, again.pending()))
        written = versions.write_batch(session, batch.documents, run_id, flow_run_id, now)
        reread = [d for d in batch.documents if not d.unchanged and not d.deferred]
        index.reindex(session, reread, written.ids)
        heads = index.heads(written.changed, written.first_seen)
        relinked = index.resettle(session, list(written.changed), heads, run_id, flow_run_id, now)
    if relinked:
        written.outcomes["near_duplicate_relinked"] += relinked
    batch.counts.update(written.outcomes)
    return batch


def store_deletions(keys: Sequence[str], db_url: str, run_id: int, flow_run_id: str | None,
                    vanished_containers: Sequence[str] = ()) -> int:
    """Record a `deleted` version for every document that disappeared from the source.

    A vanished document leaves the near-duplicate index, and a cluster it headed passes
    to its next earliest member. Vanished containers (whose members are among `keys`)
    lose their fingerprint, so one put back is read again.
    """
    now = datetime.now(UTC)
    with session_scope(db_url) as session:
        near_index.take(session)
        deleted = _delete(session, keys, run_id, flow_run_id, now)
        containers.forget(session, vanished_containers)
    return len(deleted)


def store_settlements(settlements: Sequence[Settlement], db_url: str, run_id: int, flow_run_id: str | None) -> int:
    """Settle containers whose members are all stored: `deleted` versions for the members
    each no longer holds, then its fingerprint, in one transaction; returns the deletions."""
    now = datetime.now(UTC)
    done = [s for s in settlements if s.complete]
    with session_scope(db_url) as session:
        near_index.take(session)
        deleted = _delete(session, [key for s in done for key in s.gone], run_id, flow_run_id, now)
        containers.forget(session, [s.key for s in done if s.kind is None])
        for s in done:
            if s.kind is not None:
                containers.record(session, s.key, s.kind, s.size, s.mtime_ns, s.members, s.damage, now)
    return len(deleted)


def _delete(session: Session, keys: Sequence[str], run_id: int, flow_run_id: str | None, now: datetime) -> list[int]:
    deleted = versions.mark_deleted(session, keys, run_id, flow_run_id, now)
    near_index.replace(session, deleted, [])
    index.resettle(session, deleted, {}, run_id, flow_run_id, now)
    return deleted


store_task = task(name="store", cache_policy=NO_CACHE, persist_result=False)(store)
store_deletions_task = task(name="store-deletions", cache_policy=NO_CACHE, persist_result=False)(store_deletions)
store_settlements_task = task(name="store-containers", cache_policy=NO_CACHE, persist_result=False)(store_settlements)
