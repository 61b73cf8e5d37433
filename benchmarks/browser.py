"""Corpus browser benchmark: p50/p95 render time of every page on a store of 100,000 documents.

Fills a fresh store (SQLite, and PostgreSQL when reachable) with synthetic rows in bulk —
documents, their versions (a fifth edited once or twice), twenty runs, deletions,
rejections with five reasons, exact copies and near-duplicate clusters — then requests
each page through the app in-process (FastAPI's TestClient: routing, queries, templates)
and prints the p50 and p95 per page in milliseconds.

    PYTHONPATH=. python benchmarks/browser.py [--docs 100000] [--repeat 30] [--keep DIR] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on the path, and its name would hide the `browser` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

TARGET_MS = 200.0
RUNS = 20
LANGUAGES = ["en"] * 12 + ["de"] * 3 + ["fr"] * 2 + ["es", "it", "nl", "pt", "ja", "zh", "ru", "pl", "sv"]
FORMATS = ["html"] * 6 + ["text"] * 3 + ["markdown"]
REASONS = ["empty file", "binary file (NUL bytes)", "file holds only whitespace", "no text left after cleaning",
           "could not parse HTML: ParserError"]
WORDS = ("harbour council tram budget school library district plan summer river bridge market museum garden storm "
         "ferry island station election festival hospital stadium archive theatre forest valley tunnel airport "
         "factory harvest winter council vote report street square tower castle village coast mountain").split()


def _text(rng: random.Random, words: int) -> str:
    sentences = []
    while words > 0:
        n = rng.randint(8, 18)
        sentences.append(" ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + ".")
        words -= n
    return " ".join(sentences)


def fill(url: str, count: int, seed: int = 7) -> dict[str, Any]:
    """Bulk-load `count` documents with their versions, runs, copies and clusters; returns probe targets."""
    from sqlalchemy import insert

    from storage import migrate
    from storage.models import DocumentRow, DocumentVersion, IngestionRun, NearDuplicateSignature, RejectedFile
    from storage.session import session_scope

    migrate.upgrade(url)
    rng = random.Random(seed)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    run_ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(RUNS)]
    run_times = [start + timedelta(days=3 * i) for i in range(RUNS)]
    counts: list[dict[str, int]] = [{"new": 0, "updated": 0, "unchanged": 0, "deleted": 0, "duplicate": 0,
                                     "near_duplicate": 0, "rejected": 0} for _ in range(RUNS)]
    with session_scope(url) as session:
        session.execute(insert(IngestionRun.__table__), [
            {"id": i + 1, "flow_run_id": run_ids[i], "source": "/data/corpus", "started_at": run_times[i],
             "finished_at": run_times[i] + timedelta(minutes=20), "status": "completed", "counts": {}}
            for i in range(RUNS)])
    keys = [f"site{n % 40:02d}/section{n % 7}/page{n:06d}.{'html' if n % 10 < 6 else 'txt'}" for n in range(count)]
    step = 2000
    canonical_of: dict[int, int] = {}
    edited: list[str] = []
    for n in range(count):
        if n % 20 == 5 and n > 100:
            canonical_of[n] = n - rng.randint(1, 90) if rng.random() < 0.5 else (n // 100) * 100 + 1
    for begin in range(0, count, step):
        documents, versions, rejected, signatures = [], [], [], []
        for n in range(begin, min(count, begin + step)):
            doc_id = n + 1
            first_run = 0 if n < count * 0.6 else min(RUNS - 1, 1 + (n * (RUNS - 1)) // count)
            language, fmt = rng.choice(LANGUAGES), rng.choice(FORMATS)
            edits = 0 if rng.random() < 0.8 else rng.choice((1, 1, 2))
            rejected_now = rng.random() < 0.03
            deleted_now = not rejected_now and rng.random() < 0.02
            history = []
            body = _text(rng, rng.randint(120, 420))
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))).title()
            run = first_run
            for v in range(1 + edits):
                if v:
                    run = min(RUNS - 1, run + rng.randint(1, 4))
                    body = body.replace(rng.choice(WORDS), rng.choice(WORDS), 3) + " " + _text(rng, 20)
                history.append(("active", body, run))
            if rejected_now:
                history = [("rejected", "", first_run)]
            if deleted_now:
                history.append(("deleted", "", min(RUNS - 1, history[-1][2] + 1)))
            duplicate_of = keys[n - 37] if n % 50 == 11 and n > 40 and not rejected_now else None
            near_of = keys[canonical_of[n]] if n in canonical_of and not rejected_now and duplicate_of is None else None
            for v, (status, body_text, run_index) in enumerate(history, start=1):
                kind = status if status != "active" else ("new" if v == 1 else "updated")
                counts[run_index]["rejected" if kind == "rejected" else kind] += 1
                versions.append({
                    "document_id": doc_id, "version": v, "status": status, "title": title if status == "active" else None,
                    "published": None, "language": language if status == "active" else "und",
                    "language_score": 0.99 if status == "active" else 0.0,
                    "languages": [{"language": language, "score": 0.99}] if status == "active" else [],
                    "text": body_text, "content_hash": f"{rng.getrandbits(64):016x}" if body_text else None,
                    "duplicate_of": duplicate_of if status == "active" else None,
                    "near_duplicate_of": near_of if status == "active" else None,
                    "similarity": 0.8 if near_of and status == "active" else None,
                    "error": REASONS[n % len(REASONS)] if status == "rejected" else None,
                    "meta": {"format": fmt, "encoding": "utf-8", "author": None, "canonical_url": None, "language_hint": None},
                    "file_sha256": None, "size": len(body_text), "mtime_ns": 0,
                    "ingested_at": run_times[run_index] + timedelta(seconds=n % 1000),
                    "flow_run_id": run_ids[run_index], "run_id": run_index + 1,
                })
            last_status, _, last_run = history[-1]
            if len(history) == 3 and last_status == "active":
                edited.append(keys[n])
            documents.append({
                "id": doc_id, "key": keys[n], "first_seen_at": run_times[first_run] + timedelta(seconds=n % 1000),
                "current_version": len(history), "status": last_status, "content_hash": None, "record_hash": None,
                "size": 0, "mtime_ns": 0, "file_sha256": None, "updated_at": run_times[last_run] + timedelta(seconds=n % 1000),
            })
            if last_status == "rejected":
                rejected.append({"key": keys[n], "reason": REASONS[n % len(REASONS)], "rejected_at": run_times[first_run],
                                 "run_id": first_run + 1})
            if last_status == "active":
                signatures.append({"document_id": doc_id, "signature": b"\0" * 8,
                                   "canonical_id": canonical_of[n] + 1 if near_of else None,
                                   "similarity": 0.8 if near_of else None})
        with session_scope(url) as session:
            session.execute(insert(DocumentRow.__table__), documents)
            session.execute(insert(DocumentVersion.__table__), versions)
            if rejected:
                session.execute(insert(RejectedFile.__table__), rejected)
            session.execute(insert(NearDuplicateSignature.__table__), signatures)
    with session_scope(url) as session:
        for i in range(RUNS):
            session.execute(IngestionRun.__table__.update().where(IngestionRun.id == i + 1).values(counts=counts[i]))
    if url.startswith("postgresql"):
        from storage.session import get_engine

        with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        from storage.session import get_engine

        with get_engine(url).connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    return {"run_ids": run_ids, "edited": edited[len(edited) // 2]}


def pages(base: dict[str, Any], client: Any) -> dict[str, str]:
    """The pages to time, with concrete keys, runs and cursors taken from the filled store."""
    first, last = base["run_ids"][0], base["run_ids"][-1]
    documents = client.get("/api/documents").json()
    edited = base["edited"]
    clusters = client.get("/api/duplicates").json()
    canonical = clusters["clusters"][0]["canonical"]
    member = client.get(f"/api/duplicates/{quote(canonical, safe='')}").json()["members"][0]["key"]
    segment = quote(edited, safe="")
    return {
        "dashboard /": "/",
        "documents": "/documents",
        "documents next page": f"/documents?page={documents['next']}",
        "documents status=rejected": "/documents?status=rejected",
        "documents language=pl": "/documents?language=pl",
        "documents format=markdown": "/documents?format=markdown",
        "documents run= (a late run)": f"/documents?run={last}",
        "documents q=harbour": "/documents?q=harbour",
        "documents q=two words": "/documents?q=harbour+ferry",
        "document": f"/documents/{segment}",
        "document diff": f"/documents/{segment}/diff",
        "duplicates": "/duplicates",
        "duplicates next page": f"/duplicates?page={clusters['next']}",
        "cluster": f"/duplicates/{quote(canonical, safe='')}?member={quote(member, safe='')}",
        "runs": "/runs",
        "run (first, 60,000 new)": f"/runs/{first}",
        "run (last)": f"/runs/{last}",
        "run kind=deleted": f"/runs/{first}?kind=deleted",
        "rejected": "/rejected",
        "rejected reason": "/rejected?reason=empty+file",
        "api overview": "/api/overview",
        "api document": f"/api/documents/{segment}",
    }


def measure(url: str, targets: dict[str, Any], repeat: int) -> list[tuple[str, float, float, float]]:
    from fastapi.testclient import TestClient

    from browser.app import create_app

    client = TestClient(create_app(url))
    results = []
    for name, path in pages(targets, client).items():
        began = time.perf_counter()
        response = client.get(path)
        cold = 1000 * (time.perf_counter() - began)
        assert response.status_code == 200, (name, path, response.status_code, response.text[:300])
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            client.get(path)
            times.append(1000 * (time.perf_counter() - began))
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        results.append((name, cold, statistics.median(times), p95))
    return results


def report(label: str, results: list[tuple[str, float, float, float]]) -> None:
    print(f"\n{label}")
    print(f"  {'page':<32} {'first':>8} {'p50':>8} {'p95':>8}")
    for name, cold, p50, p95 in results:
        flag = "" if p95 < TARGET_MS else f"  over {TARGET_MS:.0f} ms"
        print(f"  {name:<32} {cold:8.1f} {p50:8.1f} {p95:8.1f}{flag}")


def _postgres(server: str) -> tuple[str, Any] | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    try:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        name = f"seedflow_browser_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - no PostgreSQL here: say so and go on
        print(f"PostgreSQL skipped: {type(error).__name__}: {str(error).splitlines()[0]}")
        return None

    def drop() -> None:
        from storage.readonly import readonly_engine
        from storage.session import get_engine

        readonly_engine(url).dispose()
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    return url, drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (after one untimed)")
    parser.add_argument("--keep", type=Path, help="folder for the SQLite store, kept afterwards")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "SEEDFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="seedflow-browser-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    stores = [("SQLite", f"sqlite:///{folder / 'browser-bench.db'}", None)]
    if not args.no_postgres:
        found = _postgres(args.postgres_url)
        if found:
            stores.append(("PostgreSQL", found[0], found[1]))
    failed = False
    for label, url, drop in stores:
        try:
            began = time.perf_counter()
            targets = fill(url, args.docs)
            print(f"{label}: filled {args.docs:,} documents in {time.perf_counter() - began:.0f} s")
            results = measure(url, targets, args.repeat)
            report(f"{label}, {args.docs:,} documents: ms per request (first request, then p50/p95 of {args.repeat})", results)
            failed |= any(p95 >= TARGET_MS for *_, p95 in results)
        finally:
            if drop:
                drop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
