"""Screenshots of every page of the browser, for the README (not run in CI).

Serves the store with `seedflow ui` on a free loopback port, drives Debian's chromium
through Playwright, and saves one PNG per page; which document, diff, cluster and run
to show is read from the store's own pages.

    .venv/bin/python -m browser.screenshots --db sqlite:///.seedflow/seedflow.db [--out docs]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(db_url: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> Iterator[str]:
    """`seedflow ui` on a free loopback port, stopped when the block ends; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "flows.cli", "ui", "--db", db_url, "--port", str(port)]
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(f"seedflow ui exited with {process.returncode}: {output}")
            try:
                if httpx.get(f"{base}/api/runs", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"seedflow ui did not answer on {base} within {timeout:.0f} s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _first_link(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    if not found:
        raise RuntimeError(f"no link matching {pattern!r} on the page")
    return found.group(1).replace("&amp;", "&")


def targets(base: str, cluster: str | None = None) -> dict[str, str]:
    """The pages to shoot: fixed ones, and a document, diff, cluster and run found through the pages."""
    from browser.app import key_segment

    recent = httpx.get(f"{base}/api/overview").json()["recent_changes"]
    changed = next((d for d in recent if d["version"] > 1 and d["status"] == "active"), recent[0])
    changed_href = f"/documents/{key_segment(changed['key'])}"
    duplicates = httpx.get(f"{base}/duplicates").text
    runs = httpx.get(f"{base}/api/runs").json()["runs"]
    # The run that changed most (updates and deletions first): its page shows every section.
    busiest = max((r for r in runs if r["flow_run_id"]),
                  key=lambda r: (r["counts"].get("updated", 0) + r["counts"].get("deleted", 0), r["counts"].get("new", 0)))
    return {
        "dashboard": "/",
        "documents": "/documents",
        "search": "/documents?q=harbour",
        "document": changed_href,
        "diff": f"{changed_href}/diff",
        "duplicates": "/duplicates",
        "cluster": f"/duplicates/{key_segment(cluster)}" if cluster else _first_link(duplicates, r'href="(/duplicates/[^"]+)"'),
        "run": f"/runs/{busiest['flow_run_id']}",
        "rejected": "/rejected",
        "api": "/docs",
    }


def shoot(db_url: str, out: Path, cluster: str | None = None, width: int = 1360) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with serving(db_url) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        for name, path in targets(base, cluster).items():
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            target = out / f"browser-{name}.png"
            page.screenshot(path=str(target), full_page=True)
            saved.append(target)
            print(f"{target}  {path}")
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of the store to show")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="folder for the PNGs (default docs/)")
    parser.add_argument("--cluster", help="canonical key of the cluster to show (default: the largest)")
    args = parser.parse_args()
    shoot(args.db, args.out, args.cluster)
    return 0


if __name__ == "__main__":
    sys.exit(main())
