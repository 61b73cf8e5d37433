"""A WARC of a few hundred MB is read in one pass in bounded memory."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.containers.builders import page, response, warc_writer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_peak_rss_stays_flat_while_streaming_a_300_mb_warc(tmp_path: Path) -> None:
    path = tmp_path / "big.warc.gz"
    rng = random.Random(16)
    words = [os.urandom(4).hex() for _ in range(5000)]
    written = 0
    with path.open("wb") as out:
        writer = warc_writer(out)
        index = 0
        while written < 300 * 2**20:
            body = page(index, " ".join(rng.choices(words, k=20_000)))
            response(writer, f"https://example.org/{index}", body)
            written += len(body)
            index += 1
    # The benchmark's child mode reads every member and reports its peak RSS over its baseline.
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "archives.py"), "--child", "seedflow", str(path)],
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout
    figures = json.loads(out)
    assert figures["members"] == index
    assert figures["bytes"] >= 300 * 2**20
    assert figures["growth_mb"] < 64, figures
