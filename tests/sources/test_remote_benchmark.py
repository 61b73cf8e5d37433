"""benchmarks/remote.py runs end to end on a few objects and prints every figure; no timing asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto")

ROOT = Path(__file__).resolve().parents[2]


def test_remote_benchmark_prints_every_figure() -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "remote.py"), "--objects", "60", "--list-objects", "300"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    for figure in ("put 60 objects", "unchanged re-scan of 60 objects", "0 changed, 0 objects downloaded",
                   "read all 60", "local folder", "listed 300 objects", "peak traced memory listing 300 objects"):
        assert figure in result.stdout, result.stdout
