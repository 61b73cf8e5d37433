"""The database goes away mid-run: retries ride it out, or the run fails cleanly and the next one repairs."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from flows.cli import main
from flows.ingest import ingest
from storage.models import DocumentRow
from tests.faults.proxy import CuttableProxy
from tests.helpers import comparable, make_corpus

BATCH = 50


def _through(proxy: CuttableProxy, url: str) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


class WhenStored(threading.Thread):
    """Runs `then` once the store (read directly, not through the proxy) holds `at_least` documents."""

    def __init__(self, url: str, at_least: int, then: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.url, self.at_least, self.then = url, at_least, then
        self.stored_at_fault = -1
        self.start()

    def run(self) -> None:
        engine = create_engine(self.url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with engine.connect() as connection:
                    self.stored_at_fault = connection.scalar(select(func.count()).select_from(DocumentRow))
                    if self.stored_at_fault >= self.at_least:
                        break
            except Exception:  # noqa: BLE001 - tables may not exist yet
                pass
            time.sleep(0.02)
        engine.dispose()
        self.then()


def test_short_postgres_outage_is_ridden_out(tmp_path: Path, postgres_url: str) -> None:
    source = make_corpus(tmp_path / "src", 1000)
    proxy = CuttableProxy("127.0.0.1", 5432)
    proxy.restore()

    def outage() -> None:
        proxy.cut()
        time.sleep(3)
        proxy.restore()

    watcher = WhenStored(postgres_url, BATCH, outage)
    report = ingest(source=str(source), db=_through(proxy, postgres_url), batch_size=BATCH, retry_delay_seconds=1.0)
    watcher.join()
    proxy.cut()

    assert 0 < watcher.stored_at_fault < 1001, "the outage did not happen mid-run"
    assert report["outcomes"]["new"] == 1001
    records = comparable(postgres_url)
    assert len(records) == 1001 and {r["version"] for r in records} == {1}


def test_long_outage_fails_clearly_and_the_next_run_repairs(
    tmp_path: Path, postgres_url: str, capsys: object
) -> None:
    source = make_corpus(tmp_path / "src", 1000)
    proxy = CuttableProxy("127.0.0.1", 5432)
    proxy.restore()
    via_proxy = _through(proxy, postgres_url)
    watcher = WhenStored(postgres_url, BATCH, proxy.cut)

    code = main(["ingest", "--source", str(source), "--db", via_proxy, "--batch-size", str(BATCH)])
    watcher.join()
    assert 0 < watcher.stored_at_fault < 1001, "the outage did not happen mid-run"
    error = capsys.readouterr().err.strip()  # type: ignore[attr-defined]
    assert code == 1
    assert error.startswith("seedflow ingest failed:") and "\n" not in error
    assert "connect" in error.lower() or "connection" in error.lower()

    proxy.restore()
    assert main(["ingest", "--source", str(source), "--db", via_proxy, "--batch-size", str(BATCH)]) == 0
    proxy.cut()
    records = comparable(postgres_url)
    assert len(records) == 1001 and {r["version"] for r in records} == {1}
    with create_engine(postgres_url).connect() as connection:
        versions = connection.scalar(text("select count(*) from document_versions"))
    assert versions == 1001


def test_sqlite_lock_held_by_another_process_is_waited_out(tmp_path: Path) -> None:
    source = make_corpus(tmp_path / "src", 1000)
    db = tmp_path / "store.db"
    url = f"sqlite:///{db}"

    def hold_lock() -> None:
        locker = sqlite3.connect(db, isolation_level=None, timeout=30)
        locker.execute("BEGIN EXCLUSIVE")
        time.sleep(3)
        locker.execute("COMMIT")
        locker.close()

    watcher = WhenStored(url, BATCH, hold_lock)
    report = ingest(source=str(source), db=url, batch_size=BATCH)
    watcher.join()
    assert 0 < watcher.stored_at_fault < 1001, "the lock was not taken mid-run"
    assert report["outcomes"]["new"] == 1001
    assert {r["version"] for r in comparable(url)} == {1}
