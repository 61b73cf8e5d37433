"""Isolated extraction: a hang, a segfault and a huge allocation are each one rejected
file, with its reason, and the next file in the batch is still read."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tasks.formats import isolation
from tasks.formats.base import Extracted, Hints, Rejected


def sleeps_forever(data: bytes, hints: Hints) -> Extracted:
    while True:
        time.sleep(1)


def segfaults(data: bytes, hints: Hints) -> Extracted:
    os.kill(os.getpid(), signal.SIGSEGV)
    raise AssertionError("unreachable")


def allocates_10_gb(data: bytes, hints: Hints) -> Extracted:
    block = bytearray(10 << 30)
    return Extracted(text=str(len(block)))


def rejects(data: bytes, hints: Hints) -> Extracted:
    raise Rejected("not a document")


def raises(data: bytes, hints: Hints) -> Extracted:
    raise ValueError("bug in a parser")


def echoes(data: bytes, hints: Hints) -> Extracted:
    return Extracted(text=data.decode(), title=hints.name, pages=1)


def pid(data: bytes, hints: Hints) -> Extracted:
    return Extracted(text=str(os.getpid()))


@pytest.fixture(autouse=True)
def _fresh_workers():
    yield
    isolation.shutdown()


def test_hostile_parsers_are_rejected_and_the_batch_goes_on() -> None:
    batch = [sleeps_forever, segfaults, allocates_10_gb, rejects, raises, echoes]
    outcomes = []
    started = time.monotonic()
    for extract in batch:
        try:
            outcomes.append(isolation.run(extract, b"good text", Hints(name="a.txt"), max_seconds=3).text)
        except Rejected as rejected:
            outcomes.append(str(rejected))
    assert outcomes[0] == "took longer than 3 s to parse"
    assert outcomes[1] == "parser crashed (SIGSEGV)"
    assert outcomes[2].startswith("needs more than 2048 MB of memory")
    assert outcomes[3] == "not a document"
    assert outcomes[4] == "parser failed: ValueError: bug in a parser"
    assert outcomes[5] == "good text"
    assert time.monotonic() - started < 20


def test_worker_is_reused_and_replaced_after_a_crash() -> None:
    first = isolation.run(pid, b"", Hints()).text
    assert isolation.run(pid, b"", Hints()).text == first
    with pytest.raises(Rejected, match="SIGSEGV"):
        isolation.run(segfaults, b"", Hints())
    assert isolation.run(pid, b"", Hints()).text != first


def test_per_file_overhead_is_small() -> None:
    isolation.run(echoes, b"warm", Hints())
    data = b"x" * 1_000_000
    started = time.perf_counter()
    for _ in range(20):
        assert len(isolation.run(echoes, data, Hints()).text) == len(data)
    per_file = (time.perf_counter() - started) / 20
    assert per_file < 0.05, f"{per_file * 1000:.1f} ms per 1 MB file"


def test_runs_inside_a_process_pool_worker() -> None:
    """Prefect's ProcessPoolTaskRunner is a ProcessPoolExecutor with the spawn context."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert pool.submit(_in_pool).result(timeout=60) == ("hello", "took longer than 1 s to parse")


def _in_pool() -> tuple[str, str]:
    text = isolation.run(echoes, b"hello", Hints()).text
    try:
        isolation.run(sleeps_forever, b"", Hints(), max_seconds=1)
    except Rejected as rejected:
        return text, str(rejected)
    finally:
        isolation.shutdown()
    return text, ""
