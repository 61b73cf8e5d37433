"""kill -9 anywhere in an ingest: the next run ends where a clean run would have."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from flows.ingest import ingest
from tests.helpers import comparable, make_corpus

BATCH = 100
KILL_AFTER_DOCUMENTS = (1, 300, 700, 1100, 1500, 1900)


def _stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return connection.execute("select count(*) from documents").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_killed_runs_resume_to_the_clean_result(tmp_path: Path, api_env: dict[str, str]) -> None:
    source = make_corpus(tmp_path / "src", 2000)
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    ingest(source=str(source), db=clean_url, batch_size=BATCH)

    db = tmp_path / "crashed.db"
    command = [sys.executable, "-m", "flows.cli", "ingest", "--source", str(source), "--db", f"sqlite:///{db}",
               "--batch-size", str(BATCH)]
    kills = []
    for threshold in KILL_AFTER_DOCUMENTS:
        process = subprocess.Popen(command, env=api_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None and _stored(db) < threshold:
            time.sleep(0.02)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            seen = _stored(db)
            kills.append(seen)
            assert seen % BATCH == 0 or seen == 2001, f"a half-written batch is visible: {seen} documents"
    assert len(kills) >= 5, f"only {len(kills)} kills landed mid-run: {kills}"
    print(f"\nkilled with {kills} documents stored")

    finished = subprocess.run(command, env=api_env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert comparable(f"sqlite:///{db}") == comparable(clean_url)
