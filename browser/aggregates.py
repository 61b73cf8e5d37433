"""Whole-store aggregates, recomputed only when the store changed.

The dashboard's totals, the list's filter choices, rejections by reason, the largest
groups of exact copies and the first page of clusters by size each group the current versions of many documents, scans no index
makes short on 100,000 documents; between ingests they cannot change. A stamp read through primary
keys (newest version, newest run, last finish) tells when they must be computed again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from storage import browse


class Aggregates:
    def __init__(self, open_session: Callable[[], Any]) -> None:
        self._open = open_session
        self._lock = threading.Lock()
        self._stamp: object = None
        self._value: dict[str, Any] | None = None

    def get(self) -> dict[str, Any]:
        """`{"overview": …, "choices": …}` as of the store's current state."""
        with self._open() as session:
            stamp = browse.latest_moment(session)
            with self._lock:
                if self._value is None or stamp != self._stamp:
                    self._value, self._stamp = self._compute(session), stamp
                return self._value

    @staticmethod
    def _compute(session: Session) -> dict[str, Any]:
        overview = browse.overview(session)
        return {"overview": overview, "choices": browse.filter_choices(overview),
                "rejected": browse.rejected_reasons(session), "exact_copies": browse.exact_copy_groups(session),
                "clusters": browse.clusters(session)}
