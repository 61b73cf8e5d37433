"""Search, export formats and filters, prune and purge, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, text

from flows.cli import main
from storage import Store
from storage.filters import Filters
from storage.retention import purges
from tests.store_writes import Writer, doc, rejected
from tests.test_near_duplicates import article, edited
from tests.test_near_duplicates import text as article_text

HARBOUR = "The council met to discuss the harbour and the new tram line. The harbour plan was approved."
SCHOOLS = "The council discussed the budget for schools and the library hours in district four."
JAPANESE = "東京都庁の展望台は無料で、晴れた日には富士山が見えます。"
CHINESE = "北京大学图书馆今天开放了新的阅览室。"


def test_search_ranks_current_versions_and_marks_the_snippet(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    writer = Writer(db_url)
    writer.write(doc("harbour.txt", HARBOUR, title="Harbour plan approved"), doc("schools.txt", SCHOOLS))
    writer.write(doc("old.txt", "the harbour council of old"), doc("de.txt", "Der Rat und der Hafen", language="de"))
    writer.texts(**{"old.txt": "replaced by something else entirely"})
    writer.write(doc("gone.txt", "harbour council gone"))
    writer.delete("gone.txt")
    writer.write(doc("ja.txt", JAPANESE, language="ja"), doc("zh.txt", CHINESE, language="zh-cn"))
    writer.write(rejected("bad.bin", "unreadable"))

    store = Store(db_url)
    hits = store.search("council harbour")
    assert [h.key for h in hits] == ["harbour.txt"]
    assert "«harbour»" in hits[0].snippet and "«council»" in hits[0].snippet
    assert hits[0].title == "Harbour plan approved" and hits[0].language == "en"
    assert {h.key for h in store.search("council")} == {"harbour.txt", "schools.txt"}
    assert len(store.search("council", limit=1)) == 1
    writer.write(doc("title.txt", "a boat tour", title="Harbour tours"), doc("body.txt", "a boat tour of the harbour"))
    ranked = [h.key for h in store.search("harbour tour")]
    assert ranked.index("title.txt") < ranked.index("body.txt")  # the title weighs more
    assert store.search("replaced entirely")[0].key == "old.txt" and store.search("harbour old") == []
    assert [h.key for h in store.search("富士山")] == ["ja.txt"]
    assert [h.key for h in store.search("展望台")] == ["ja.txt"]
    assert "«東京»" in store.search("東京")[0].snippet
    assert [h.key for h in store.search("图书馆")] == ["zh.txt"]
    assert [h.key for h in store.search("Hafen", language="de")] == ["de.txt"]
    assert store.search("council", language="de") == []
    assert [h.key for h in store.search("council", filters=Filters(key="s*"))] == ["schools.txt"]
    assert store.search("council", status="rejected") == [] and store.search("") == []
    assert store.search('" OR * NEAR( harbour:') == store.search("OR NEAR harbour") == []  # syntax is only words

    assert main(["search", "tram harbour", "--json", "--db", db_url]) == 0
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert set(line) == {"key", "title", "language", "snippet", "score"} and line["key"] == "harbour.txt"


def test_postgresql_search_stems_by_the_documents_language(postgres_url: str) -> None:
    writer = Writer(postgres_url)
    writer.write(doc("en.txt", "The councils approved new harbours."), doc("fr.txt", "Les conseils municipaux", language="fr"))
    store = Store(postgres_url)
    assert [h.key for h in store.search("council harbour")] == ["en.txt"]
    assert [h.key for h in store.search("conseil", language="fr")] == ["fr.txt"]


def test_export_formats_and_filters(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    writer = Writer(db_url)
    writer.write(doc("a/1.txt", HARBOUR, title="One"), doc("a/2.md", SCHOOLS, fmt="markdown"))
    writer.write(doc("b/3.txt", "Der Rat", language="de"), rejected("b/4.bin", "unreadable"))
    writer.write(doc("a/1.txt", HARBOUR + " Amended."))

    assert main(["export", "--db", db_url]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["key"] for r in records] == ["a/1.txt", "a/2.md", "b/3.txt", "b/4.bin"]

    parquet = tmp_path / "out.parquet"
    assert main(["export", "--format", "parquet", "--output", str(parquet), "--db", db_url]) == 0
    table = pq.read_table(parquet)
    assert table.schema.field("version").type == pa.int32()
    assert table.schema.field("ingested_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("published").type == pa.date32()
    rows = table.to_pylist()
    assert [r["key"] for r in rows] == [r["key"] for r in records]
    assert rows[0]["text"] == records[0]["text"] and rows[0]["version"] == 2 and rows[3]["error"] == "unreadable"

    out = tmp_path / "out.csv"
    assert main(["export", "--format", "csv", "--output", str(out), "--db", db_url]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert [r["key"] for r in read] == [r["key"] for r in records] and read[0]["text"] == records[0]["text"]

    def keys(*options: str) -> list[str]:
        assert main(["export", *options, "--db", db_url]) == 0
        return [json.loads(line)["key"] for line in capsys.readouterr().out.splitlines()]

    assert keys("--language", "de") == ["b/3.txt"]
    assert keys("--status", "rejected") == ["b/4.bin"]
    assert keys("--source-format", "markdown") == ["a/2.md"]
    assert keys("--key", "a/*") == ["a/1.txt", "a/2.md"]
    assert keys("--key", "?/[12].*", "--all-versions") == ["a/1.txt", "a/1.txt", "a/2.md"]
    assert main(["changes", "--since", "0", "--format", "markdown", "--keys-only", "--db", db_url]) == 0
    assert [json.loads(line).get("key") for line in capsys.readouterr().out.splitlines()] == ["a/2.md", None]


def test_prune_keeps_current_versions_and_tells_old_cursors(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    writer = Writer(db_url)
    for n in range(4):
        writer.texts(**{"a.txt": f"alpha {n}", **({"b.txt": f"beta {n}"} if n < 2 else {})})
    writer.delete("b.txt")
    before = Store(db_url).changes(since=0)
    cursors = [c["cursor"] for c in before]

    assert main(["prune", "--keep-versions", "2", "--db", db_url]) == 0
    assert "dropped 3 old versions" in capsys.readouterr().out
    store = Store(db_url)
    assert [v["version"] for v in store.history("a.txt")] == [3, 4]
    assert [v["status"] for v in store.history("b.txt")] == ["active", "deleted"]
    feed = store.changes(since=0)
    assert feed.pruned and feed.cursor == before.cursor
    assert not store.changes(since=cursors[3]).pruned

    assert main(["changes", "--since", "0", "--keys-only", "--db", db_url]) == 0
    captured = capsys.readouterr()
    assert "were pruned" in captured.err
    assert json.loads(captured.out.splitlines()[0])["pruned_through"] == feed.pruned_through

    assert main(["prune", "--older-than", "0", "--db", db_url]) == 0
    assert [v["version"] for v in store.history("a.txt")] == [4]
    assert {r["key"]: r["version"] for r in store.export()} == {"a.txt": 4, "b.txt": 3}


def test_purge_erases_a_document_and_rehomes_its_cluster(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    writer = Writer(db_url)
    original = article(7)
    writer.texts(**{"head.txt": article_text(original)})
    writer.texts(**{"head.txt": edited(original, 0.01, 9)})
    writer.texts(**{"m1.txt": edited(original, 0.02, 1)})
    writer.texts(**{"m2.txt": edited(original, 0.02, 2)})
    writer.write(rejected("head.txt.bak", "unreadable"))
    store = Store(db_url)
    assert {r["key"]: r["near_duplicate_of"] for r in store.export()}["m2.txt"] == "head.txt"
    cursor = store.changes(since=0).cursor
    with create_engine(db_url).connect() as connection:
        head_id = connection.execute(text("SELECT id FROM documents WHERE key = 'head.txt'")).scalar()

    assert main(["purge", "head.txt", "head.txt.bak", "missing.txt", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "erased head.txt" in out and "not in the store: missing.txt" in out

    links = {r["key"]: r["near_duplicate_of"] for r in store.export()}
    assert links == {"m1.txt": None, "m2.txt": "m1.txt"}
    assert store.history("head.txt") == []
    assert all(h.key != "head.txt" for h in store.search(original[0].split()[0]))
    changes = list(store.changes(since=cursor))
    assert {(c["change"], c["key"]) for c in changes if c.get("purged")} == {
        ("deleted", "head.txt"), ("deleted", "head.txt.bak")
    }
    assert sorted(c["key"] for c in changes if not c.get("purged")) == ["m1.txt", "m2.txt"]  # re-homed
    log = purges(db_url)
    assert [p["key"] for p in log] == ["head.txt", "head.txt.bak"] and log[0]["command"].startswith("seedflow purge")
    with create_engine(db_url).connect() as connection:
        for table in ("near_duplicate_signatures", "lsh_bands", "document_versions"):
            assert connection.execute(text(f"SELECT count(*) FROM {table} WHERE document_id = {head_id}")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM near_duplicate_signatures")).scalar() == 2
        assert connection.execute(text("SELECT count(*) FROM rejected_files WHERE key LIKE 'head%'")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM documents WHERE key LIKE 'head%'")).scalar() == 0
        contents = connection.execute(text("SELECT key, command FROM purges")).all()
        assert all(original[0] not in command for _, command in contents)


def test_store_api_benchmark_prints_every_figure(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, str(root / "benchmarks" / "store_api.py"), "--documents", "300", "--no-postgres"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for figure in ("changes since a cursor 1 % behind", "first page in", "parquet export", "peak RSS"):
        assert figure in done.stdout, done.stdout
