"""Run a native parser in a worker process with a time and memory limit per file.

pdfium, Pillow and Tesseract are C and C++: on hostile input they can loop forever,
allocate without bound or crash the process. So an isolated format's `extract` runs in a
child process — `python -m tasks.formats.isolation`, speaking length-prefixed pickles
over its stdin and stdout — with `RLIMIT_AS` set in the child and a wall-clock deadline
watched by the parent. The bytes go to the child once and the `Extracted` comes back;
the worker is kept for the next file and replaced only after a crash or a timeout. A
plain subprocess (not `multiprocessing`) works the same from the main process, a thread
or a Prefect process-pool worker, which may not start children of its own that way.

The worker runs in its own session, so a timeout kills its subprocesses (Tesseract) too.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable

from tasks.formats.base import Extracted, FileFormat, Hints, Rejected

MAX_SECONDS = 60.0
MAX_MEMORY = 2 << 30
_HEADER = struct.Struct("!Q")


class _Worker:
    """One child process, started on first use, for one (memory limit) setting."""

    def __init__(self, max_memory: int) -> None:
        self.owner = os.getpid()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tasks.formats.isolation", str(max_memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe:
                pipe.close()

    def call(self, payload: bytes, max_seconds: float) -> tuple[str, object]:
        """Send one job, wait for its answer; raise Rejected on a timeout or crash."""
        assert self.process.stdin and self.process.stdout
        try:
            self.process.stdin.write(_HEADER.pack(len(payload)) + payload)
            self.process.stdin.flush()
        except BrokenPipeError:
            raise self._crashed() from None
        deadline = _now() + max_seconds
        header = self._read(_HEADER.size, deadline, max_seconds)
        body = self._read(_HEADER.unpack(header)[0], deadline, max_seconds)
        return pickle.loads(body)

    def _read(self, size: int, deadline: float, max_seconds: float) -> bytes:
        assert self.process.stdout
        fd = self.process.stdout.fileno()
        chunks, remaining = [], size
        while remaining:
            timeout = deadline - _now()
            if timeout <= 0 or not select.select([fd], [], [], timeout)[0]:
                self.kill()
                raise Rejected(f"took longer than {max_seconds:g} s to parse")
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise self._crashed()
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _crashed(self) -> Rejected:
        code = self.process.wait()
        self.kill()
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if name == "SIGKILL":
                return Rejected("parser was killed (SIGKILL), probably for using too much memory")
            return Rejected(f"parser crashed ({name})")
        return Rejected(f"parser exited with status {code}")


def _now() -> float:
    import time

    return time.monotonic()


_idle: dict[int, list[_Worker]] = {}
_lock = threading.Lock()


def run(
    extract: Callable[[bytes, Hints], Extracted],
    data: bytes,
    hints: Hints,
    max_seconds: float = MAX_SECONDS,
    max_memory: int = MAX_MEMORY,
) -> Extracted:
    """`extract(data, hints)` in a worker; Rejected with the reason when it cannot finish.

    `extract` must be importable by name (a module-level function): it is pickled by
    reference. Concurrent callers (threads) each get a worker of their own."""
    payload = pickle.dumps((extract, data, hints), protocol=pickle.HIGHEST_PROTOCOL)
    with _lock:
        pool = _idle.setdefault(max_memory, [])
        worker = None
        while pool and worker is None:
            candidate = pool.pop()
            worker = candidate if candidate.alive() else None
    if worker is None:
        worker = _Worker(max_memory)
    status, value = worker.call(payload, max_seconds)
    with _lock:
        _idle.setdefault(max_memory, []).append(worker)
    if status == "ok":
        assert isinstance(value, Extracted)
        return value
    raise Rejected(str(value))


def extract(
    fmt: FileFormat, data: bytes, hints: Hints, max_seconds: float = MAX_SECONDS, max_memory: int = MAX_MEMORY
) -> Extracted:
    """A format's extraction, in a worker when the format is `isolated`, else right here."""
    if fmt.isolated:
        return run(fmt.extract, data, hints, max_seconds, max_memory)
    return fmt.extract(data, hints)


def shutdown() -> None:
    """Stop the idle workers (tests, and the end of a run)."""
    with _lock:
        workers = [w for pool in _idle.values() for w in pool]
        _idle.clear()
    for worker in workers:
        if worker.owner == os.getpid():
            worker.kill()


def _serve(max_memory: int) -> None:
    """The child's loop: read a job, run it, answer ("ok", Extracted) or ("rejected", reason)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Whatever the parser prints must not corrupt the answers: fd 1 now goes to stderr.
    answers = os.fdopen(os.dup(stdout.fileno()), "wb")
    os.dup2(2, 1)
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        job = stdin.read(_HEADER.unpack(header)[0])
        try:
            extract, data, hints = pickle.loads(job)
            answer: tuple[str, object] = ("ok", extract(data, hints))
        except Rejected as rejected:
            answer = ("rejected", str(rejected))
        except MemoryError:
            answer = ("rejected", f"needs more than {max_memory >> 20} MB of memory to parse")
        except Exception as error:  # noqa: BLE001 - a parser's bug is this file's rejection
            answer = ("rejected", f"parser failed: {type(error).__name__}: {error}")
        body = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(_HEADER.pack(len(body)) + body)
        answers.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
