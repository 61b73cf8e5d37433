"""The corpus browser over a real store filled by two real ingests, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from markupsafe import escape
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from browser.app import create_app
from storage import browse
from storage.readonly import reading
from tests.browser_corpus import HOSTILE_KEYS, HOSTILE_TITLE, build

ROOT = Path(__file__).resolve().parent.parent
PREFECT_UI = "http://prefect.test:4200"


def seg(key: str) -> str:
    return quote(key, safe="")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A store after two ingests: the first adds, copies and rejects; the second edits, adds and deletes."""
    folder = tmp_path_factory.mktemp("browser")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'store.db'}"
        reports = build(folder / "source", url)
        yield {"url": url, "reports": reports}
        return
    server = request.getfixturevalue("postgres_server")
    name = f"seedflow_browser_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield {"url": url, "reports": build(folder / "source", url)}
    finally:
        from storage.readonly import readonly_engine
        from storage.session import get_engine

        for cached in (readonly_engine, get_engine):
            try:
                cached(url).dispose()
            except Exception:  # noqa: BLE001 - an engine that never opened has nothing to dispose
                pass
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def client(store: dict) -> TestClient:
    return TestClient(create_app(store["url"], prefect_ui_url=PREFECT_UI))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def test_every_page_and_its_json_answer(client: TestClient, store: dict) -> None:
    first, second = (r["flow_run_id"] for r in store["reports"])
    pages = [
        "/", "/documents", "/documents?q=harbour", "/documents?language=en", "/documents?status=rejected",
        "/documents?format=html", f"/documents?run={second}", f"/documents/{seg('city/article-0.txt')}",
        f"/documents/{seg('city/article-0.txt')}/diff?from=1&to=2", "/duplicates", f"/duplicates/{seg('news/mirror.txt')}",
        f"/runs/{first}", f"/runs/{second}", f"/runs/{second}?kind=created", "/runs", "/rejected",
        "/rejected?reason=empty+file", "/docs",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html"), path
    api = ["/api/overview", "/api/documents", f"/api/documents/{seg('city/article-0.txt')}",
           f"/api/documents/{seg('city/article-0.txt')}/diff", "/api/duplicates", f"/api/duplicates/{seg('news/mirror.txt')}",
           "/api/runs", f"/api/runs/{second}", "/api/rejected", "/openapi.json"]
    for path in api:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "application/json", path
    documented = client.get("/openapi.json").json()["paths"]
    assert {"/api/overview", "/api/documents", "/api/documents/{key}", "/api/documents/{key}/diff", "/api/duplicates",
            "/api/duplicates/{key}", "/api/runs/{flow_run_id}", "/api/rejected"} <= set(documented)
    assert not any(path.startswith(("/documents", "/duplicates", "/runs", "/rejected")) for path in documented)


def test_dashboard_counts_what_the_ingests_did(client: TestClient, store: dict) -> None:
    data = client.get("/api/overview").json()
    assert data["by_status"] == {"active": 12, "deleted": 1, "rejected": 3}
    assert data["documents"] == 16
    assert {"value": "en", "count": 12} in data["by_language"]
    assert {row["value"] for row in data["by_format"]} == {"text", "html"}
    assert data["exact_copies"] == 1
    assert data["near_copies"] >= 1 and data["near_clusters"] >= 1
    assert [r["flow_run_id"] for r in data["recent_runs"]] == [r["flow_run_id"] for r in reversed(store["reports"])]
    html = client.get("/").text
    assert html.count("<svg") >= 4 and "url(#p-hatch)" in html
    assert ">active</text>" in html and ">rejected</text>" in html


def test_every_link_from_the_dashboard_opens(client: TestClient) -> None:
    """Crawl every internal link two clicks deep: keys with `/`, `#`, `?`, quotes, `..` and `%2F` all route."""
    seen: set[str] = set()
    frontier = ["/", "/documents", "/duplicates", "/runs", "/rejected"]
    for _depth in range(3):
        following: list[str] = []
        for path in frontier:
            if path in seen:
                continue
            seen.add(path)
            response = client.get(path)
            assert response.status_code == 200, path
            assert "<script>alert" not in response.text and "<img src=x" not in response.text, path
            for link in links(response.text):
                parts = urlsplit(link)
                if parts.scheme or link.startswith(("/docs", "#")):
                    continue
                following.append(link.replace("&amp;", "&"))
        frontier = following
    opened_documents = {p for p in seen if p.startswith("/documents/") and not p.endswith("/diff")}
    for key in HOSTILE_KEYS.values():
        assert f"/documents/{seg(key)}" in opened_documents, key
    assert len(seen) > 40


@pytest.mark.parametrize("name", sorted(HOSTILE_KEYS))
def test_hostile_keys_route_to_their_document(client: TestClient, name: str) -> None:
    key = HOSTILE_KEYS[name]
    data = client.get(f"/api/documents/{seg(key)}").json()
    assert data["key"] == key
    html = client.get(f"/documents/{seg(key)}").text
    assert f"<code>{escape(key)}</code>" in html
    assert client.get(f"/api/documents/{seg(key)}/diff").json()["key"] == key


def test_a_key_ending_in_diff_is_a_document_and_has_a_diff(client: TestClient) -> None:
    assert client.get(f"/api/documents/{seg('notes/diff')}").json()["key"] == "notes/diff"
    assert client.get(f"/api/documents/{seg('notes/diff')}/diff").json()["key"] == "notes/diff"
    typed = client.get("/api/documents/notes/diff").json()  # typed by hand, slash unencoded: no `notes` exists
    assert typed["key"] == "notes/diff" and "history" in typed


def test_hostile_title_is_shown_as_text(client: TestClient) -> None:
    html = client.get("/documents/hostile.html").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in html
    assert client.get("/api/documents/hostile.html").json()["title"] == HOSTILE_TITLE
    listing = client.get("/documents?format=html").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing and "<script>alert" not in listing


def test_document_page_shows_history_runs_and_copies(client: TestClient, store: dict) -> None:
    first, second = (r["flow_run_id"] for r in store["reports"])
    data = client.get(f"/api/documents/{seg('city/article-0.txt')}").json()
    assert [v["version"] for v in data["history"]] == [1, 2]
    assert [v["flow_run_id"] for v in data["history"]] == [first, second]
    assert data["history"][1]["changes"] == ["text"]
    assert data["languages"][0]["language"] == "en"
    html = client.get(f"/documents/{seg('city/article-0.txt')}").text
    assert f'href="{PREFECT_UI}/runs/flow-run/{second}"' in html
    assert f'href="/runs/{second}"' in html
    assert "thirty minutes from March" in html
    mirror = client.get(f"/api/documents/{seg('news/mirror.txt')}").json()
    assert mirror["exact_copies"] == ["news/seed.txt"]
    assert [m["key"] for m in mirror["near_copies"]] == ["news/syndicated.txt"]
    copy = client.get(f"/documents/{seg('news/seed.txt')}").text
    assert f'href="/documents/{seg("news/mirror.txt")}"' in copy


def test_diff_highlights_the_changed_words(client: TestClient) -> None:
    data = client.get(f"/api/documents/{seg('city/article-0.txt')}/diff?from=1&to=2").json()
    removed = {text.strip() for row in data["rows"] for text, changed in row["old"] if changed}
    added = {text.strip() for row in data["rows"] for text, changed in row["new"] if changed}
    assert "forty" in removed and "April," in removed
    assert "thirty" in added and "March," in added
    assert any("founder" in a for a in added)
    html = client.get(f"/documents/{seg('city/article-0.txt')}/diff?from=1&to=2").text
    assert "<del>forty</del>" in html and "<ins>thirty</ins>" in html
    assert client.get(f"/documents/{seg('city/article-0.txt')}/diff?from=1&to=9").status_code == 404
    assert client.get(f"/documents/{seg('city/article-0.txt')}/diff?from=x").status_code == 404


def test_cluster_page_compares_canonical_and_members(client: TestClient) -> None:
    data = client.get(f"/api/duplicates/{seg('news/mirror.txt')}").json()
    assert [m["key"] for m in data["members"]] == ["news/syndicated.txt"]
    assert [c["key"] for c in data["exact_copies"]] == ["news/seed.txt"]
    assert 0.5 < data["shared_ratio"] < 1.0
    html = client.get(f"/duplicates/{seg('news/mirror.txt')}").text
    assert "<mark>" in html and "syndicated by another site" in html
    exact = client.get(f"/duplicates/{seg('news/mirror.txt')}?member={seg('news/seed.txt')}").text
    assert "100 % of their words" in exact
    listing = client.get("/api/duplicates").json()
    assert {"original": "news/mirror.txt", "copies": 1} in listing["exact"]
    assert "news/mirror.txt" in [c["canonical"] for c in listing["clusters"]]
    assert client.get(f"/duplicates/{seg('city/article-1.txt')}").status_code == 404


def test_run_page_lists_what_the_run_did(client: TestClient, store: dict) -> None:
    first, second = (r["flow_run_id"] for r in store["reports"])
    later = client.get(f"/api/runs/{second}").json()["changes"]
    assert [c["key"] for c in later["created"]["changes"]] == ["city/article-3.txt"]
    assert [c["key"] for c in later["updated"]["changes"]] == ["city/article-0.txt"]
    assert [c["key"] for c in later["deleted"]["changes"]] == ["city/article-2.txt"]
    assert later["rejected"]["changes"] == []
    earlier = client.get(f"/api/runs/{first}").json()["changes"]
    reasons = {c["key"]: c["reason"] for c in earlier["rejected"]["changes"]}
    assert reasons == {"broken/binary.txt": "binary file (NUL bytes)", "broken/blank.txt": "file holds only whitespace",
                       "broken/empty.txt": "empty file"}
    assert len(earlier["created"]["changes"]) == 12
    html = client.get(f"/runs/{second}").text
    assert f'href="/documents/{seg("city/article-2.txt")}"' in html
    assert f'href="{PREFECT_UI}/runs/flow-run/{second}"' in html
    assert client.get("/runs/no-such-run").status_code == 404
    touched = client.get(f"/api/documents?run={second}").json()["documents"]
    assert [d["key"] for d in touched] == ["city/article-0.txt", "city/article-2.txt", "city/article-3.txt"]


def test_rejected_files_grouped_by_reason(client: TestClient) -> None:
    reasons = client.get("/api/rejected").json()["reasons"]
    assert {r["reason"]: r["count"] for r in reasons} == {
        "binary file (NUL bytes)": 1, "empty file": 1, "file holds only whitespace": 1}
    detail = client.get("/api/rejected", params={"reason": "empty file"}).json()["detail"]
    assert [d["key"] for d in detail["documents"]] == ["broken/empty.txt"]


def test_search_and_filters(client: TestClient) -> None:
    def keys(**params: str) -> list[str]:
        return [d["key"] for d in client.get("/api/documents", params=params).json()["documents"]]

    assert keys(q="HARBOUR ferry") == ["city/article-0.txt"]
    assert keys(q="100%_") == []
    assert keys(status="deleted") == ["city/article-2.txt"]
    assert keys(format="html") == ["hostile.html"]
    assert keys(language="en", q="tricky key") == sorted(HOSTILE_KEYS.values())
    assert "No documents match" in client.get("/documents?q=zzzz-nothing").text


def test_keyset_pages_walk_forward_and_back(store: dict) -> None:
    with reading(store["url"]) as session:
        everything = [d["key"] for d in browse.documents(session, browse.DocumentFilter(), limit=100)["documents"]]
        walked, cursor, pages = [], None, []
        while True:
            page = browse.documents(session, browse.DocumentFilter(), cursor, limit=4)
            pages.append(page)
            walked += [d["key"] for d in page["documents"]]
            if not page["next"]:
                break
            cursor = page["next"]
        assert walked == everything == sorted(everything) and len(everything) == 16
        back = browse.documents(session, browse.DocumentFilter(), pages[-1]["previous"], limit=4)
        assert [d["key"] for d in back["documents"]] == [d["key"] for d in pages[-2]["documents"]]
        assert pages[0]["previous"] is None
        with pytest.raises(browse.BadCursor):
            browse.documents(session, browse.DocumentFilter(), "not-a-cursor", limit=4)


def test_a_bad_page_cursor_is_a_400(client: TestClient) -> None:
    assert client.get("/documents?page=garbage").status_code == 400
    assert client.get("/api/documents?page=garbage").status_code == 400


def test_the_app_never_writes_to_the_store(store: dict, client: TestClient) -> None:
    if not store["url"].startswith("sqlite"):
        with reading(store["url"]) as session:
            assert session.execute(text("SHOW transaction_read_only")).scalar() == "on"
        return
    path = Path(make_url(store["url"]).database)
    before = path.stat().st_mtime_ns, path.stat().st_size
    for page in ("/", "/documents", "/duplicates", "/rejected"):
        client.get(page)
    assert (path.stat().st_mtime_ns, path.stat().st_size) == before
    with reading(store["url"]) as session, pytest.raises(Exception, match="readonly|read-only|query_only"):
        session.execute(text("DELETE FROM documents"))


def test_static_assets_and_api_docs_need_no_internet(client: TestClient) -> None:
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/..%2Fapp.py").status_code == 404
    for page in ("/", "/docs", f"/documents/{seg('city/article-0.txt')}"):
        html = client.get(page).text
        external = [link for link in links(html) if urlsplit(link).scheme in ("http", "https") and not link.startswith(PREFECT_UI)]
        assert external == [], page
        for asset in re.findall(r'(?:src|href)="(/static[^"]+)"', html):
            assert client.get(asset).status_code == 200, asset


def test_a_missing_store_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "store.db"
    client = TestClient(create_app(f"sqlite:///{missing}"))
    response = client.get("/")
    assert response.status_code == 503 and "no store at" in response.text
    assert client.get("/api/documents").status_code == 503
    assert not missing.exists() and not missing.parent.exists()
    result = subprocess.run([sys.executable, "-m", "flows.cli", "ui", "--db", f"sqlite:///{missing}"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1
    assert "seedflow ui: no store at" in result.stderr
    assert not missing.parent.exists()


def test_an_empty_database_is_not_a_store(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    create_engine(f"sqlite:///{empty}").connect().close()
    response = TestClient(create_app(f"sqlite:///{empty}")).get("/")
    assert response.status_code == 503 and "not a seedflow store" in response.text


def test_binding_beyond_loopback_warns() -> None:
    from browser.serve import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_run_summary_links_to_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.artifacts import _markdown
    from flows.report import RunReport

    report = RunReport(source="/src", database_url="sqlite://", flow_run_id="abc-123")
    assert "/runs/" not in _markdown(report)
    monkeypatch.setenv("SEEDFLOW_UI_URL", "http://127.0.0.1:8765/")
    assert "[What this run did to the corpus](http://127.0.0.1:8765/runs/abc-123)" in _markdown(report)


def test_browser_imports_only_storage() -> None:
    project = {"flows", "tasks", "deployments"}
    for path in sorted((ROOT / "browser").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            assert not {n.split(".")[0] for n in names} & project, f"{path.name} imports {names}"
    for path in sorted((ROOT / "storage").glob("*.py")):
        assert "browser" not in {n.split(".")[0] for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                                 for n in ([a.name for a in node.names] if isinstance(node, ast.Import) else
                                           [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])}
