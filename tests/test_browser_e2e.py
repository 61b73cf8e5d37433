"""The corpus browser in a real browser: Debian's chromium driven by Playwright, against
`seedflow ui` serving a store filled by real ingests on a free loopback port."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser.screenshots import CHROMIUM, CHROMIUM_ARGS, serving
from tests.browser_corpus import HOSTILE_TITLE, build

pytestmark = pytest.mark.slow

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (pip install playwright)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("browser-e2e")
    url = f"sqlite:///{folder / 'store.db'}"
    reports = build(folder / "source", url)
    with serving(url) as base:
        yield {"base": base, "reports": reports}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def watched(chromium: Any) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    """A fresh page that records every dialog, console error and uncaught page error."""
    page = chromium.new_page()
    seen: dict[str, list[str]] = {"dialogs": [], "errors": []}

    def on_dialog(dialog: Any) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda message: seen["errors"].append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    yield page, seen
    page.close()


def test_from_the_dashboard_to_a_diff_a_cluster_a_run_and_back(site: dict[str, Any], watched: tuple[Any, dict]) -> None:
    page, seen = watched
    base = site["base"]
    second = site["reports"][1]["flow_run_id"]
    page.goto(base + "/")
    assert page.title() == "Corpus · seedflow"
    page.get_by_role("link", name="city/article-0.txt").first.click()
    assert page.url == f"{base}/documents/city%2Farticle-0.txt"
    assert page.locator("h1").inner_text() == "city/article-0.txt"

    page.get_by_role("link", name="what changed in v2").click()
    assert page.url.endswith("/documents/city%2Farticle-0.txt/diff")
    assert page.locator("del", has_text="forty").count() == 1
    assert page.locator("ins", has_text="thirty").count() == 1

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Duplicates").click()
    page.locator('a[href="/duplicates/news%2Fmirror.txt"]').first.click()
    assert page.url == f"{base}/duplicates/news%2Fmirror.txt"
    assert page.locator(".members li[aria-current] a").inner_text().endswith("news/syndicated.txt")
    assert page.locator("mark").count() >= 1

    page.get_by_role("link", name="seed.txt").first.click()  # the exact copy, compared with its original
    assert "100 % of their words" in page.locator(".compare .sub").inner_text()

    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Runs").click()
    page.locator(f'a[href="/runs/{second}"]').first.click()
    assert page.url == f"{base}/runs/{second}"
    deleted = page.locator("section.changes", has=page.locator("h2", has_text="Deleted"))
    assert deleted.get_by_role("link", name="city/article-2.txt").count() == 1

    page.go_back()
    assert page.url == f"{base}/runs"
    page.go_back()
    assert "/duplicates/news%2Fmirror.txt" in page.url
    assert seen == {"dialogs": [], "errors": []}


def test_search_from_the_header(site: dict[str, Any], watched: tuple[Any, dict]) -> None:
    page, seen = watched
    page.goto(site["base"] + "/runs")
    page.get_by_role("searchbox", name="Search titles and text").fill("harbour ferry")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/documents\?q=harbour\+ferry$"))
    assert page.locator("table.documents tbody tr").count() == 1
    assert page.locator("table.documents").get_by_role("link", name="city/article-0.txt").count() == 1
    page.get_by_label("Status").select_option("deleted")
    page.get_by_role("button", name="Filter").click()
    assert "No documents match" in page.locator("main").inner_text()
    assert seen == {"dialogs": [], "errors": []}


def test_a_hostile_title_does_not_run(site: dict[str, Any], watched: tuple[Any, dict]) -> None:
    page, seen = watched
    for path in ("/documents/hostile.html", "/documents?format=html", "/documents?q=inject", "/"):
        page.goto(site["base"] + path)
        page.wait_for_load_state("load")
    page.goto(site["base"] + "/documents/hostile.html")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.evaluate("document.scripts.length") == 0
    assert seen == {"dialogs": [], "errors": []}


def test_tricky_keys_open_from_their_links(site: dict[str, Any], watched: tuple[Any, dict]) -> None:
    page, seen = watched
    page.goto(site["base"] + "/documents?q=tricky")
    keys = page.locator("table.documents td:first-child a").all_inner_texts()
    assert len(keys) == 5
    for key in keys:
        page.goto(site["base"] + "/documents?q=tricky")
        page.locator("table.documents td:first-child a", has_text=key).first.click()
        assert page.locator(".meta dd code").first.inner_text() == key
    assert seen == {"dialogs": [], "errors": []}
