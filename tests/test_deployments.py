"""The deployments' modules import only what they use."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_folder_watcher_does_not_import_the_pipeline() -> None:
    script = (
        "import sys, deployments.watch\n"
        "loaded = sorted(m for m in sys.modules if m == 'flows' or m.startswith(('flows.', 'tasks.', 'storage.')))\n"
        "print(','.join(loaded))"
    )
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "", f"deployments.watch imported {found.stdout.strip()}"
