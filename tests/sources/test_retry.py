"""Backoff bounds and the retry loop's contract (pure functions, no server)."""

from __future__ import annotations

import pytest

from tasks.sources.retry import RetriesExhausted, backoff_seconds, retrying


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap() -> None:
    for attempt, bound in ((0, 0.1), (1, 0.2), (3, 0.8), (10, 5.0)):
        waits = [backoff_seconds(attempt, 0.1) for _ in range(200)]
        assert all(0.0 <= w <= bound for w in waits)
        assert max(waits) > bound / 2  # jittered across the range, not fixed


def test_retrying_stops_at_the_first_success_or_refusal_and_gives_up_after_attempts() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionResetError("reset by peer")
        return "ok"

    assert retrying(flaky, lambda e: isinstance(e, ConnectionError), attempts=4, base=0.001) == "ok"
    assert len(calls) == 3

    def refused() -> str:
        calls.append(1)
        raise PermissionError("denied")

    calls.clear()
    with pytest.raises(PermissionError):
        retrying(refused, lambda e: isinstance(e, ConnectionError), attempts=4, base=0.001)
    assert len(calls) == 1

    def down() -> str:
        calls.append(1)
        raise TimeoutError("timed out")

    calls.clear()
    with pytest.raises(RetriesExhausted, match=r"TimeoutError: timed out \(after 4 attempts\)"):
        retrying(down, lambda e: isinstance(e, TimeoutError), attempts=4, base=0.001)
    assert len(calls) == 4
