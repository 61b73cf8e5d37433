"""The layers import one way: deployments -> flows -> tasks -> storage.

Walks every module's imports with `ast` (function-level imports included, since lazy
imports are still dependencies). `flows/cli.py`, the command line, is the one module
allowed to import every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("deployments", "flows", "tasks", "storage")
EVERYTHING_ALLOWED = {"flows/cli.py"}


def _imported(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(LAYERS)


def _modules() -> list[Path]:
    return sorted(p for layer in LAYERS for p in (ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_points_back_up(path: Path) -> None:
    relative = path.relative_to(ROOT).as_posix()
    if relative in EVERYTHING_ALLOWED:
        return
    layer = LAYERS.index(relative.split("/")[0])
    upward = sorted(name for name in _imported(ast.parse(path.read_text(encoding="utf-8"))) if LAYERS.index(name) < layer)
    assert not upward, f"{relative} ({LAYERS[layer]}) imports {upward}, a layer above it"


def test_the_walk_sees_the_layers() -> None:
    """A guard against a walk that finds nothing and so passes vacuously."""
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert {"storage/record.py", "tasks/store.py", "flows/ingest.py", "deployments/serve.py"} <= names
