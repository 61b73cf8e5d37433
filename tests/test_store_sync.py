"""A downstream consumer syncing from the change feed ends identical to `seedflow export`.

Ten ingest runs edit, delete, rename and add files; on PostgreSQL, writers in threads
store batches at the same time as the consumer reads the feed, which must then still
see only whole, commit-ordered prefixes.
"""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest

from flows.cli import main
from flows.ingest import ingest
from storage import Store
from tests.helpers import ARTICLE
from tests.store_writes import Writer, doc


class Consumer:
    """A downstream index: the latest record of each key, and the keys it would serve."""

    def __init__(self, url: str) -> None:
        self.store, self.cursor = Store(url), 0
        self.latest: dict[str, dict[str, Any]] = {}
        self.seen: list[int] = []

    def sync(self) -> None:
        feed = self.store.changes(since=self.cursor)
        for change in feed:
            self.seen.append(change["cursor"])
            record = {k: v for k, v in change.items() if k not in {"change", "cursor"}}
            if change.get("purged"):
                self.latest.pop(change["key"], None)
            else:
                self.latest[change["key"]] = record
        self.cursor = feed.cursor

    def served(self) -> dict[str, str]:
        return {k: r["text"] for k, r in self.latest.items() if r["status"] != "deleted"}


def exported(url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    assert main(["export", "--db", url]) == 0
    return {r["key"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}


def mutate(source: Path, step: int, rng: random.Random) -> None:
    """One run's worth of edits, a deletion, a rename and a new file (plus an exact copy now and then)."""
    files = sorted(source.rglob("*.txt"))
    for path in rng.sample(files, 2):
        path.write_text(path.read_text(encoding="utf-8") + f"\n\nCorrection {step}.", encoding="utf-8")
    rng.choice(files).unlink()
    moving = rng.choice([p for p in files if p.exists()])
    moving.rename(moving.with_name(f"renamed-{step}-{moving.name}"))
    (source / f"new-{step}.txt").write_text(ARTICLE.format(n=1000 + step), encoding="utf-8")
    if step % 3 == 0:
        (source / f"copy-{step}.txt").write_text(ARTICLE.format(n=1000 + step), encoding="utf-8")


def test_a_consumer_replaying_the_feed_across_ten_runs_matches_the_export(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source"
    for n in range(12):
        (source / f"part{n % 3}").mkdir(parents=True, exist_ok=True)
        (source / f"part{n % 3}" / f"doc{n}.txt").write_text(ARTICLE.format(n=n), encoding="utf-8")
    rng = random.Random(17)
    consumer = None
    for step in range(10):
        if step:
            mutate(source, step, rng)
        ingest(source=str(source), db=db_url, retry_delay_seconds=0)
        consumer = consumer or Consumer(db_url)
        consumer.sync()
        if step % 2:  # a consumer may also lag behind by a run
            consumer.sync()
    assert consumer is not None
    export = exported(db_url, capsys)
    assert consumer.latest == export
    assert consumer.served() == {k: r["text"] for k, r in export.items() if r["status"] != "deleted"}
    assert any(r["status"] == "deleted" for r in export.values())
    assert consumer.seen == sorted(set(consumer.seen))


def test_concurrent_writers_on_postgresql_never_hide_a_change_from_the_feed(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    Writer(postgres_url).texts(**{f"base/{n}.txt": ARTICLE.format(n=n) for n in range(20)})
    consumer = Consumer(postgres_url)
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(side: str) -> None:
        try:
            rng = random.Random(side)
            writes = Writer(postgres_url)
            for round_ in range(12):
                keys = rng.sample(range(20), 4)
                writes.write(*(doc(f"{side}/{k}.txt", ARTICLE.format(n=k) + f" Round {round_}.") for k in keys))
                writes.write(doc(f"base/{rng.randrange(20)}.txt", ARTICLE.format(n=500 + round_) + side))
                if round_ % 4 == 3:
                    writes.delete(f"{side}/{keys[0]}.txt")
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    def reader() -> None:
        try:
            while not done.is_set():
                consumer.sync()
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    writers = [threading.Thread(target=writer, args=(side,)) for side in ("left", "right")]
    polling = threading.Thread(target=reader)
    polling.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    done.set()
    polling.join(timeout=60)
    assert not errors
    consumer.sync()
    assert consumer.latest == exported(postgres_url, capsys)
    # Every cursor handed out was seen exactly once: a reader never skipped a version.
    assert consumer.seen == list(range(1, consumer.cursor + 1))
