"""The seedflow store: SQLAlchemy models, sessions, migrations and queries. Only this package talks SQL.

`from storage import Store` is the downstream API (`storage.api`); it is loaded on first
use so that importing any other part of the package does not pull it in.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in {"Store", "NoStore", "StoreNotReady", "StoreOutdated"}:
        from storage import api

        return getattr(api, name)
    raise AttributeError(f"module 'storage' has no attribute {name!r}")
