"""The states a stored document and an ingestion run can be in, typed once for every layer."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A document version's status; the export contract's three values."""

    ACTIVE = "active"
    DELETED = "deleted"
    REJECTED = "rejected"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
