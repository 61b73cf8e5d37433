"""Stage 6: write a batch to the store in one transaction, under the near-duplicate index lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from storage import near_index, versions
from storage.session import session_scope
from tasks.batch import Batch
from tasks.dedupe import link_copies
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


def store_deletions(keys: Sequence[str], db_url: str, run_id: int, flow_run_id: str | None) -> int:
    """Record a `deleted` version for every document that disappeared from the source.

    A vanished document leaves the near-duplicate index, and a cluster it headed passes
    to its next earliest member.
    """
    now = datetime.now(UTC)
    with session_scope(db_url) as session:
        near_index.take(session)
        deleted = versions.mark_deleted(session, keys, run_id, flow_run_id, now)
        near_index.replace(session, deleted, [])
        index.resettle(session, deleted, {}, run_id, flow_run_id, now)
    return len(deleted)


store_task = task(name="store", cache_policy=NO_CACHE, persist_result=False)(store)
store_deletions_task = task(name="store-deletions", cache_policy=NO_CACHE, persist_result=False)(store_deletions)
