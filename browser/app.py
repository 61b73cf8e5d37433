"""The corpus browser: server-rendered pages and their JSON twins over a read-only store.

Every page is one short read-only transaction (`storage.readonly`); what it shows comes
from `storage.browse`. Keys are paths that may hold `/`, `#`, `?`, quotes or `%2F`, so
links carry a key as ONE percent-encoded path segment and the key is read back from the
raw request path: the decoded path that routing sees cannot tell the key `a/diff` from
the diff of `a`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from jinja2 import Environment, PackageLoader
from sqlalchemy.orm import Session

from browser import charts, textdiff
from browser.aggregates import Aggregates
from storage import browse
from storage.readonly import StoreUnavailable, reading
from storage.session import display_url

HERE = Path(__file__).resolve().parent
# A document's text is shown up to this many characters (the API returns all of it).
TEXT_SHOWN = 200_000


class NotFound(Exception):
    """What a page asked for is not in the store; the message says what."""


def key_segment(key: str) -> str:
    """A key as one path segment: `/`, `#`, `?`, `%` and quotes all percent-encoded."""
    return quote(key, safe="")


def _raw_rest(request: Request, prefix: str) -> str:
    """The part of the raw (still percent-encoded) request path after `prefix`."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = raw.decode("latin-1").split("?", 1)[0]
    return path[len(prefix):] if path.startswith(prefix) else unquote_to_bytes(path).decode("utf-8", "replace")


def _unquote(segment: str) -> str:
    return unquote_to_bytes(segment).decode("utf-8", "replace")


def _query(**params: Any) -> str:
    """A query string of the non-empty parameters, for filter and page links."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return ("?" + urlencode(kept)) if kept else ""


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("browser", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["key"] = key_segment
    env.filters["when"] = _when
    env.globals["query"] = _query
    env.globals["kinds"] = browse.KINDS
    env.globals["series"] = charts.SERIES
    return env


def create_app(url: str, prefect_ui_url: str | None = None) -> FastAPI:
    """The browser over the store at `url`; `prefect_ui_url` (default `$PREFECT_UI_URL`) links runs to Prefect."""
    prefect_ui = (prefect_ui_url if prefect_ui_url is not None else os.environ.get("PREFECT_UI_URL", "")).rstrip("/")
    env = _environment()
    env.globals["store"] = display_url(url)
    env.globals["prefect_ui"] = prefect_ui
    env.globals["flow_run_page"] = lambda flow_run_id: f"{prefect_ui}/runs/flow-run/{flow_run_id}" if prefect_ui and flow_run_id else None
    # FastAPI's own /docs loads Swagger UI from a CDN; fastapi-offline serves a vendored copy.
    app = FastAPIOffline(
        title="seedflow corpus browser",
        description="Read-only views of a seedflow store: documents, versions, duplicates, runs and rejections.",
        version="1",
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @contextmanager
    def session() -> Iterator[Session]:
        with reading(url) as opened:
            yield opened

    aggregates = Aggregates(session)
    app.state.aggregates = aggregates

    def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(request_path=request.url.path, **context)
        return HTMLResponse(html, status_code=status_code)

    @app.exception_handler(StoreUnavailable)
    async def unavailable(request: Request, error: StoreUnavailable) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(error)}, status_code=503)
        return page(request, "error.html", 503, title="Store unavailable", message=str(error))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(error)}, status_code=404)
        return page(request, "error.html", 404, title="Not found", message=str(error))

    @app.exception_handler(browse.BadCursor)
    async def bad_cursor(request: Request, error: browse.BadCursor) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(error)}, status_code=400)
        return page(request, "error.html", 400, title="Bad page link", message=str(error))

    # --- data, shared by the pages and the API ---------------------------------------------

    def overview_data() -> dict[str, Any]:
        return aggregates.get()["overview"]

    def documents_data(q: str | None, language: str | None, status: str | None, format: str | None,
                       run: str | None, cursor: str | None) -> dict[str, Any]:
        filters = browse.DocumentFilter(q=q or None, language=language or None, status=status or None,
                                        format=format or None, run=run or None)
        with session() as s:
            return {**browse.documents(s, filters, cursor), "filters": filters.__dict__}

    def document_data(key: str) -> dict[str, Any]:
        with session() as s:
            found = browse.document(s, key)
        if found is None:
            raise NotFound(f"no document {key!r} in the store")
        return found

    def diff_data(key: str, old: int | None, new: int | None) -> dict[str, Any]:
        with session() as s:
            numbers = browse.version_numbers(s, key)
            if numbers is None:
                raise NotFound(f"no document {key!r} in the store")
            new = new or numbers[-1]
            old = old or max(new - 1, 1)
            texts = browse.version_texts(s, key, (old, new))
        missing = [str(v) for v in (old, new) if v not in texts]
        if missing:
            raise NotFound(f"{key!r} has no version {', '.join(missing)} (it has 1 to {numbers[-1]})")
        result = textdiff.diff(texts[old]["text"], texts[new]["text"])
        changes = browse.changed_fields(_without_text(texts[old]), _without_text(texts[new]))
        fields = [_field_diff(name, texts[old], texts[new]) for name in changes if name != "text"]
        return {"key": key, "from": texts[old], "to": texts[new], "diff": result, "changes": changes,
                "fields": fields, "versions": numbers}

    def clusters_data(cursor: str | None) -> dict[str, Any]:
        if cursor is None:
            cached = aggregates.get()
            return {**cached["clusters"], "exact": cached["exact_copies"]}
        with session() as s:
            return {**browse.clusters(s, cursor), "exact": []}

    def cluster_data(key: str, member: str | None) -> dict[str, Any]:
        with session() as s:
            found = browse.cluster(s, key)
            if found is None:
                raise NotFound(f"{key!r} heads no cluster of near or exact copies")
            others = [m["key"] for m in found["members"]] + [c["key"] for c in found["exact_copies"]]
            chosen = member if member in others else others[0]
            texts = browse.current_versions(s, [key, chosen])
        compared = textdiff.passages(texts[key]["text"], texts[chosen]["text"])
        return {**found, "chosen": chosen, "left": texts[key], "right": texts[chosen], "passages": compared}

    def run_data(flow_run_id: str, kind: str | None, cursor: str | None) -> dict[str, Any]:
        with session() as s:
            found = browse.run(s, flow_run_id)
            if found is None:
                raise NotFound(f"no ingestion run with flow-run id {flow_run_id!r} in the store")
            wanted = [kind] if kind in browse.KINDS else list(browse.KINDS)
            limit = browse.PAGE if kind in browse.KINDS else 20
            changes = {k: browse.run_changes(s, found["id"], k, cursor if kind else None, limit) for k in wanted}
        return {"run": found, "changes": changes, "kind": kind if kind in browse.KINDS else None}

    def rejected_data(reason: str | None, cursor: str | None) -> dict[str, Any]:
        if reason is None:
            return {"reasons": aggregates.get()["rejected"]}
        with session() as s:
            return {"detail": browse.rejected_with_reason(s, reason, cursor)}

    def runs_data(cursor: str | None) -> dict[str, Any]:
        with session() as s:
            return browse.runs(s, cursor)

    # --- pages ------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request) -> HTMLResponse:
        data = overview_data()
        return page(
            request, "dashboard.html", title="Corpus", data=data, timeline=charts.timeline(data["timeline"]),
            languages=charts.bars(data["by_language"], "/documents?language="),
            formats=charts.bars(data["by_format"], "/documents?format="),
            statuses=charts.bars([{"value": k, "count": v} for k, v in data["by_status"].items()], "/documents?status="),
        )

    @app.get("/documents", response_class=HTMLResponse, include_in_schema=False)
    def documents_page(request: Request, q: str | None = None, language: str | None = None, status: str | None = None,
                       format: str | None = None, run: str | None = None, page_: str | None = Query(None, alias="page")) -> HTMLResponse:
        data = documents_data(q, language, status, format, run, page_)
        choices = aggregates.get()["choices"]
        return page(request, "documents.html", title="Documents", data=data, choices=choices)

    def document_or_diff(request: Request, prefix: str, render: Callable[[str, bool], Response]) -> Response:
        """A literal `/diff` ends a diff link; a hand-typed key that itself ends in `/diff` still opens."""
        rest = _raw_rest(request, prefix)
        if not rest.endswith("/diff"):
            return render(_unquote(rest), False)
        key, whole = _unquote(rest[: -len("/diff")]), _unquote(rest)
        with session() as s:
            is_document = browse.version_numbers(s, key) is None and browse.version_numbers(s, whole) is not None
        return render(whole, False) if is_document else render(key, True)

    @app.get("/documents/{key:path}/diff", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/documents/{key:path}", response_class=HTMLResponse, include_in_schema=False)
    def document_page(request: Request, key: str) -> Response:
        def render(wanted: str, is_diff: bool) -> Response:
            if is_diff:
                old, new = _version_param(request, "from"), _version_param(request, "to")
                data = diff_data(wanted, old, new)
                return page(request, "diff.html", title=f"Diff of {wanted}", data=data)
            data = document_data(wanted)
            shown = data["text"][:TEXT_SHOWN]
            return page(request, "document.html", title=data["title"] or wanted, doc=data, text=shown,
                        text_cut=len(data["text"]) > TEXT_SHOWN)

        return document_or_diff(request, "/documents/", render)

    @app.get("/duplicates", response_class=HTMLResponse, include_in_schema=False)
    def duplicates_page(request: Request, page_: str | None = Query(None, alias="page")) -> HTMLResponse:
        return page(request, "duplicates.html", title="Duplicates", data=clusters_data(page_))

    @app.get("/duplicates/{key:path}", response_class=HTMLResponse, include_in_schema=False)
    def cluster_page(request: Request, key: str, member: str | None = None) -> HTMLResponse:
        wanted = _unquote(_raw_rest(request, "/duplicates/"))
        data = cluster_data(wanted, member)
        return page(request, "cluster.html", title=f"Cluster of {wanted}", data=data)

    @app.get("/runs", response_class=HTMLResponse, include_in_schema=False)
    def runs_page(request: Request, page_: str | None = Query(None, alias="page")) -> HTMLResponse:
        return page(request, "runs.html", title="Runs", data=runs_data(page_))

    @app.get("/runs/{flow_run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, flow_run_id: str, kind: str | None = None,
                 page_: str | None = Query(None, alias="page")) -> HTMLResponse:
        data = run_data(flow_run_id, kind, page_)
        return page(request, "run.html", title=f"Run {flow_run_id}", data=data)

    @app.get("/rejected", response_class=HTMLResponse, include_in_schema=False)
    def rejected_page(request: Request, reason: str | None = None, page_: str | None = Query(None, alias="page")) -> HTMLResponse:
        return page(request, "rejected.html", title="Rejected files", data=rejected_data(reason, page_))

    # --- the same as JSON -------------------------------------------------------------------

    @app.get("/api/overview", tags=["corpus"], summary="Documents by status, language and format; copies; recent runs")
    def api_overview() -> dict[str, Any]:
        return overview_data()

    @app.get("/api/documents", tags=["documents"], summary="Documents in key order, filtered, one page per cursor")
    def api_documents(q: str | None = None, language: str | None = None, status: str | None = None,
                      format: str | None = None, run: str | None = None,
                      page_: str | None = Query(None, alias="page")) -> dict[str, Any]:
        return documents_data(q, language, status, format, run, page_)

    @app.get("/api/documents/{key:path}/diff", tags=["documents"],
             summary="Word-level diff of two versions' texts (default: the previous and the current)")
    @app.get("/api/documents/{key:path}", tags=["documents"],
             summary="A document's current version, its history and its copies (key percent-encoded, / as %2F)")
    def api_document(request: Request, key: str) -> Response:
        def render(wanted: str, is_diff: bool) -> Response:
            if not is_diff:
                return JSONResponse(_jsonable(document_data(wanted)))
            data = diff_data(wanted, _version_param(request, "from"), _version_param(request, "to"))
            rows = [{"kind": r.kind, "old_line": r.old_line, "new_line": r.new_line, "skipped": r.skipped,
                     "old": [[s.text, s.changed] for s in r.old], "new": [[s.text, s.changed] for s in r.new]}
                    for r in data["diff"].rows]
            return JSONResponse(_jsonable({
                "key": wanted, "from": data["from"]["version"], "to": data["to"]["version"], "changes": data["changes"],
                "words_added": data["diff"].words_added, "words_removed": data["diff"].words_removed,
                "word_level": data["diff"].exact, "rows": rows,
            }))

        return document_or_diff(request, "/api/documents/", render)

    @app.get("/api/duplicates", tags=["duplicates"], summary="Near-duplicate clusters by size, and exact-copy groups")
    def api_duplicates(page_: str | None = Query(None, alias="page")) -> dict[str, Any]:
        return clusters_data(page_)

    @app.get("/api/duplicates/{key:path}", tags=["duplicates"], summary="One cluster: its canonical, near and exact copies")
    def api_cluster(request: Request, key: str, member: str | None = None) -> dict[str, Any]:
        data = cluster_data(_unquote(_raw_rest(request, "/api/duplicates/")), member)
        p = data.pop("passages")
        data["left"].pop("text")
        data["right"].pop("text")
        data["shared_ratio"] = round(p.shared_ratio, 4)
        return data

    @app.get("/api/runs", tags=["runs"], summary="Ingestion runs, newest first")
    def api_runs(page_: str | None = Query(None, alias="page")) -> dict[str, Any]:
        return runs_data(page_)

    @app.get("/api/runs/{flow_run_id}", tags=["runs"], summary="What one run did: created, updated, deleted, rejected")
    def api_run(flow_run_id: str, kind: str | None = None, page_: str | None = Query(None, alias="page")) -> dict[str, Any]:
        return run_data(flow_run_id, kind, page_)

    @app.get("/api/rejected", tags=["rejected"], summary="Rejected documents grouped by reason (or one reason's documents)")
    def api_rejected(reason: str | None = None, page_: str | None = Query(None, alias="page")) -> dict[str, Any]:
        return rejected_data(reason, page_)

    return app


def _version_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit() or int(value) < 1:
        raise NotFound(f"{name}={value!r} is not a version number")
    return int(value)


def _field_diff(name: str, old: dict[str, Any], new: dict[str, Any]) -> tuple[str, list[textdiff.Segment], list[textdiff.Segment]]:
    """One changed field of two versions, word by word when both are text."""
    def value(version: dict[str, Any]) -> str:
        found = version["meta"].get(name) if name in version["meta"] else version.get(name)
        return "—" if found is None else str(found)

    left, right, _ = textdiff.word_segments(value(old), value(new))
    return name, left, right


def _without_text(version: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in version.items() if k != "text"}


def _jsonable(data: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(data)
