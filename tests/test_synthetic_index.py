"""The benchmark's bulk fill leaves a store the real dedupe and store stages work on as usual."""

from __future__ import annotations

import numpy as np
from sqlalchemy import inspect, select

from benchmarks.synthetic_index import fill, index_bytes
from storage import migrate, near_index, runs
from storage.models import LshBand
from storage.record import Document
from storage.session import get_engine, session_scope
from tasks.batch import Batch
from tasks.dedupe import dedupe
from tasks.near_duplicates.signatures import DEFAULT, band_matrix, to_bytes
from tasks.store import store


def _schema(url: str) -> dict[str, tuple]:
    inspector = inspect(get_engine(url))
    return {
        table: (
            sorted(tuple(i["column_names"]) for i in inspector.get_indexes(table)),
            tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
            sorted(tuple(f["constrained_columns"]) for f in inspector.get_foreign_keys(table)),
        )
        for table in ("lsh_bands", "near_duplicate_signatures")
    }


def test_fill_indexes_every_document_and_keeps_the_schema(db_url: str) -> None:
    migrate.upgrade(db_url)
    before = _schema(db_url)
    fill(db_url, 120, DEFAULT, seed=3)
    get_engine(db_url).dispose()
    assert _schema(db_url) == before
    values = np.random.default_rng(3).integers(0, 2**32, size=(120, DEFAULT.num_perm), dtype=np.uint32)
    with session_scope(db_url) as session:
        assert session.query(LshBand).count() == 120 * DEFAULT.bands
        found = near_index.candidates(session, band_matrix(values[41:42]).ravel().tolist())
    assert list(found) == ["synthetic/0000042"]
    assert found["synthetic/0000042"].signature == to_bytes(values[41])
    sizes = index_bytes(db_url)
    assert set(sizes) == {"lsh_bands", "near_duplicate_signatures"} and min(sizes.values()) > 0


def test_stages_write_after_a_fill(db_url: str) -> None:
    """New documents get ids past the synthetic ones (PostgreSQL's sequence moved on)."""
    migrate.upgrade(db_url)
    fill(db_url, 50, DEFAULT, seed=3)
    run_id = runs.begin(db_url, None, "test")
    text = " ".join(f"word{i}" for i in range(80))
    batch = Batch([Document(key="real/one", path="real/one", text=text, content_hash="h1")])
    store(dedupe(batch, db_url), db_url, run_id, None)
    with session_scope(db_url) as session:
        assert session.scalar(select(LshBand.document_id).where(LshBand.document_id > 50).limit(1)) == 51
