"""Why a store cannot be read, in words for the person who named it.

Kept free of imports so the command line can catch these without loading SQLAlchemy.
"""

from __future__ import annotations


class StoreNotReady(Exception):
    """A read found no store it could answer from; reads never create or migrate one."""


class NoStore(StoreNotReady):
    def __init__(self, shown_url: str) -> None:
        super().__init__(f"no seedflow store at {shown_url}")


class StoreOutdated(StoreNotReady):
    def __init__(self, shown_url: str, revision: str, head: str | None) -> None:
        super().__init__(f"{shown_url}: store is at revision {revision}, run `seedflow db upgrade` (to {head})")


class StoreUnknown(StoreNotReady):
    def __init__(self, shown_url: str, revision: str) -> None:
        super().__init__(f"{shown_url}: store is at revision {revision}, which this seedflow does not know (is it newer?)")
