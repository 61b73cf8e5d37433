"""Retrying a remote call on transient failures, with exponential backoff and full jitter.

Object stores answer 503 SlowDown or drop a connection under load as a matter of course;
one such answer must not reject a document or fail a run. Full jitter (a random wait up
to the exponential bound) keeps many concurrent readers from retrying in lockstep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class RetriesExhausted(Exception):
    """A transient failure persisted through every attempt; the last one is the cause."""


def backoff_seconds(attempt: int, base: float, cap: float = 5.0) -> float:
    """The wait before retry number `attempt` (0 for the first retry)."""
    return random.uniform(0.0, min(cap, base * 2**attempt))


def retrying(call: Callable[[], T], transient: Callable[[BaseException], bool], attempts: int, base: float) -> T:
    """`call()`, tried up to `attempts` times while it fails transiently.

    A failure that is not transient propagates at once; one that stays transient
    becomes `RetriesExhausted`, so callers tell "gave up" from "refused".
    """
    for attempt in range(attempts):
        try:
            return call()
        except Exception as error:
            if not transient(error):
                raise
            if attempt == attempts - 1:
                raise RetriesExhausted(f"{describe(error)} (after {attempts} attempts)") from error
            time.sleep(backoff_seconds(attempt, base))
    raise AssertionError("attempts must be at least 1")


def describe(error: BaseException) -> str:
    """One line naming the failure, for rejection reasons and the run's error."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
