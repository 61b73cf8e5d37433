"""Stage 6: write a batch to the store in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from storage import queries
from storage.session import session_scope
from tasks import signatures
from tasks.document import Batch
from tasks.signatures import SignatureParams


def store(
    batch: Batch, db_url: str, run_id: int, flow_run_id: str | None, params: SignatureParams = signatures.DEFAULT
) -> Batch:
    """Persist the batch; a retry after a failure rewrites nothing already committed."""
    with session_scope(db_url) as session:
        outcomes = queries.write_batch(
            session, batch.documents, run_id, flow_run_id, datetime.now(UTC), params, batch.linked_at
        )
    batch.counts.update(outcomes)
    return batch


def store_deletions(
    keys: Sequence[str], db_url: str, run_id: int, flow_run_id: str | None, params: SignatureParams = signatures.DEFAULT
) -> int:
    """Record a `deleted` version for every file that disappeared from the source."""
    with session_scope(db_url) as session:
        return queries.mark_deleted(session, keys, run_id, flow_run_id, datetime.now(UTC), params)


store_task = task(name="store", cache_policy=NO_CACHE, persist_result=False)(store)
store_deletions_task = task(name="store-deletions", cache_policy=NO_CACHE, persist_result=False)(store_deletions)
