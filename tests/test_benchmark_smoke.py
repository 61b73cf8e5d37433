"""The benchmarks run end to end on a small corpus (issue 8); no timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from tests.conftest import ROOT, SHARED

pytestmark = pytest.mark.skipif(
    not (SHARED / "corpus" / "html" / "pages").is_dir() or not (SHARED / "corpus" / "lang" / "sentences").is_dir(),
    reason=f"the shared corpus ({SHARED}/corpus) is absent: the benchmarks generate their documents from it",
)

DOCS = 200


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def test_corpus_generator_is_deterministic(tmp_path: Path) -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "corpus.py"), str(DOCS)]
    first = subprocess.run([*command, str(tmp_path / "one")], env=_env(), capture_output=True, text=True, timeout=60)
    second = subprocess.run([*command, str(tmp_path / "two")], env=_env(), capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "text" in first.stdout and "html" in first.stdout and "near-duplicate" in first.stdout
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    documents = [f for f in files if not f.name.startswith(".")]  # .corpus.json also holds the time taken
    assert len(documents) == DOCS
    assert all((tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes() for f in documents)
    kinds = json.loads((tmp_path / "one" / ".corpus.json").read_text())["kinds"]
    assert sum(kinds.values()) == DOCS and kinds["html"] > 0 and kinds["text"] > 0


def test_pipeline_benchmark_prints_every_figure(tmp_path: Path) -> None:
    # The session's Prefect API serves the ingests, so each one skips starting a temporary server.
    command = [
        sys.executable, str(ROOT / "benchmarks" / "pipeline.py"),
        "--docs", str(DOCS), "--workdir", str(tmp_path), "--skip-100k", "--batch-size", "50", "--repeat", "1",
        "--api-url", PREFECT_API_URL.value(),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for label in ("(a) bare stages", "(b) seedflow ingest", "(c) seedflow ingest --workers 2", "(d) re-scan, unchanged",
                  "(e) re-scan, 2 files touched"):
        assert label in out, out
    assert out.count("docs/s") >= 5 and out.count("peak RSS") >= 5
    for ratio in ("(b)/(a) throughput", "(c)/(a) throughput", "(a)/(d) time", "first ingest/(d) time",
                  "(e)/first ingest time", "store size:", "KiB/doc"):
        assert ratio in out, out
    assert "unchanged 200" in out  # the unchanged re-scan re-read nothing
    assert "updated 2" in out  # and the touched files, and only they, got a new version
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["docs"] == DOCS and results["store_bytes_per_doc"] > 0
