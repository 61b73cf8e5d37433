"""Writing to a store the way the pipeline's last two stages do, for the store API tests."""

from __future__ import annotations

import hashlib

from storage import migrate, runs
from storage.record import Document
from storage.status import Status
from tasks.batch import Batch
from tasks.dedupe import dedupe
from tasks.store import store, store_deletions


class Writer:
    """One ingestion run on a migrated store: batches through the real dedupe and store."""

    def __init__(self, url: str, flow_run_id: str | None = None) -> None:
        migrate.upgrade(url)
        self.url, self.flow_run_id = url, flow_run_id
        self.run_id = runs.begin(url, flow_run_id, "store api test")

    def write(self, *docs: Document) -> None:
        batch = Batch(list(docs))
        dedupe(batch, self.url)
        store(batch, self.url, self.run_id, self.flow_run_id)

    def texts(self, language: str = "en", fmt: str = "text", **texts: str) -> None:
        self.write(*(doc(key, body, language, fmt) for key, body in texts.items()))

    def delete(self, *keys: str) -> None:
        store_deletions(list(keys), self.url, self.run_id, self.flow_run_id)


def doc(key: str, body: str, language: str = "en", fmt: str = "text", title: str | None = None) -> Document:
    return Document(key=key, path=key, text=body, content_hash=hashlib.sha256(body.encode()).hexdigest(), language=language, format=fmt,
                    title=title, language_score=1.0)


def rejected(key: str, reason: str) -> Document:
    return Document(key=key, path=key, status=Status.REJECTED, error=reason)
