"""The change feed, records as of a moment and version diffs, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from flows.cli import main
from storage import Store, NoStore, StoreOutdated, migrate
from storage.filters import Filters
from tests.store_writes import Writer, doc, rejected


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_feed_lists_every_version_in_commit_order_then_the_cursor(db_url: str) -> None:
    writer = Writer(db_url)
    writer.texts(**{"a.txt": "alpha one", "b.txt": "beta one"})
    writer.texts(**{"a.txt": "alpha two"})
    writer.delete("b.txt")
    writer.write(rejected("c.bin", "not a text format"))
    writer.texts(**{"b.txt": "beta back"})

    feed = Store(db_url).changes(since=0)
    changes = list(feed)
    assert [(c["change"], c["key"], c["version"]) for c in changes] == [
        ("created", "a.txt", 1), ("created", "b.txt", 1), ("updated", "a.txt", 2), ("deleted", "b.txt", 2),
        ("rejected", "c.bin", 1), ("created", "b.txt", 3),
    ]
    cursors = [c["cursor"] for c in changes]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
    assert feed.cursor == cursors[-1] and not feed.pruned
    assert changes[2]["text"] == "alpha two" and changes[4]["error"] == "not a text format"

    later = Store(db_url).changes(since=feed.cursor)
    assert list(later) == [] and later.cursor == feed.cursor
    middle = Store(db_url).changes(since=cursors[1], until=cursors[3])
    assert [c["cursor"] for c in middle] == cursors[2:4] and middle.cursor == cursors[3]
    only_a = Store(db_url).changes(since=0, filters=Filters(key="a*"))
    assert {c["key"] for c in only_a} == {"a.txt"}
    store = Store(db_url)
    assert store.document("a.txt")["version"] == 2 and store.document("a.txt", 1)["text"] == "alpha one"
    assert store.document("a.txt", 9) is None and [v["status"] for v in store.history("b.txt")] == [
        "active", "deleted", "active"
    ]


def test_changes_command_prints_json_lines_and_the_final_cursor(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    writer = Writer(db_url)
    writer.texts(**{"a.txt": "alpha one", "dir/b.txt": "beta one"})
    assert main(["changes", "--since", "0", "--keys-only", "--db", db_url]) == 0
    out = lines(capsys)
    assert [set(o) for o in out[:-1]] == [{"change", "cursor", "key", "version"}] * 2
    assert out[-1] == {"cursor": out[1]["cursor"]}

    assert main(["changes", "--since", str(out[-1]["cursor"]), "--db", db_url]) == 0
    assert lines(capsys) == [out[-1]]
    assert main(["changes", "--since", "0", "--key", "dir/*", "--db", db_url]) == 0
    [change, cursor] = lines(capsys)
    assert change["key"] == "dir/b.txt" and change["text"] == "beta one" and cursor == out[-1]
    assert main(["changes", "--since", "99", "--db", db_url]) == 1
    assert "ahead of this store's head" in capsys.readouterr().err


def test_export_as_of_a_timestamp_or_a_flow_run(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = Writer(db_url, flow_run_id="run-one")
    first.texts(**{"a.txt": "alpha one", "b.txt": "beta one"})
    time.sleep(0.05)
    between = datetime.now(UTC)
    time.sleep(0.05)
    second = Writer(db_url, flow_run_id="run-two")
    second.texts(**{"a.txt": "alpha two", "c.txt": "gamma one"})
    second.delete("b.txt")

    store = Store(db_url)
    then = {r["key"]: r["text"] for r in store.as_of(between)}
    assert then == {"a.txt": "alpha one", "b.txt": "beta one"}
    assert {r["key"]: r["text"] for r in store.as_of("run-one")} == then
    assert {r["key"]: r["text"] for r in store.as_of("run-two")} == {"a.txt": "alpha two", "c.txt": "gamma one"}
    assert list(store.as_of(datetime(2000, 1, 1, tzinfo=UTC))) == []

    naive = between.replace(tzinfo=None).isoformat()  # no zone: read as UTC
    assert main(["export", "--as-of", naive, "--db", db_url]) == 0
    assert {r["key"]: r["text"] for r in lines(capsys)} == then
    assert main(["export", "--as-of", "no-such-run", "--db", db_url]) == 1
    assert "neither an ISO 8601 timestamp nor a flow run" in capsys.readouterr().err


def test_diff_lists_metadata_changes_above_a_unified_text_diff(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    writer = Writer(db_url)
    writer.write(doc("a.txt", "line one\nline two\nline three", title="Old"))
    writer.write(doc("a.txt", "line one\nline 2\nline three", title="New"))
    writer.write(doc("a.txt", "line one\nline 2\nline three\nline four", title="New", language="de"))

    assert main(["diff", "a.txt", "--db", db_url]) == 0
    out = capsys.readouterr().out
    head, body = out.split("--- ", 1)
    assert "v2" in head and "v3" in head and "language: 'en' -> 'de'" in head and "title" not in head
    assert "+line four" in body and "-line three" in body

    assert main(["diff", "a.txt", "1", "2", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "title: 'Old' -> 'New'" in out and "-line two\n" in out and "+line 2\n" in out
    assert main(["diff", "a.txt", "1", "9", "--db", db_url]) == 1
    assert "no version 9" in capsys.readouterr().err


def test_reads_never_create_or_migrate_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere" / "store.db"
    with pytest.raises(NoStore):
        Store(f"sqlite:///{missing}")
    for command in (["export"], ["changes", "--since", "0"], ["search", "x"], ["diff", "k"]):
        assert main([*command, "--db", f"sqlite:///{missing}"]) == 1
        assert "no seedflow store at" in capsys.readouterr().err
    assert not missing.parent.exists()

    old = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(old, "0003")
    with pytest.raises(StoreOutdated):
        Store(old)
    assert migrate.current(old) == "0003"


def test_upgrade_from_the_previous_schema_keeps_rows_and_backfills_the_feed_and_index(db_url: str) -> None:
    migrate.upgrade(db_url, "0003")
    with create_engine(db_url).begin() as connection:
        now = datetime.now(UTC)
        connection.execute(
            text(
                "INSERT INTO documents (key, first_seen_at, current_version, status, content_hash, record_hash,"
                " size, mtime_ns, updated_at) VALUES ('a.txt', :now, 2, 'active', 'h', 'r', 1, 1, :now),"
                " ('b.txt', :now, 2, 'deleted', NULL, 'r', 1, 1, :now)"
            ),
            {"now": now},
        )
        for key, version, status, body in [
            ("a.txt", 1, "active", "harbour plan draft"), ("b.txt", 1, "active", "tram line"),
            ("a.txt", 2, "active", "harbour plan final"), ("b.txt", 2, "deleted", ""),
        ]:
            connection.execute(
                text(
                    "INSERT INTO document_versions (document_id, version, status, language, language_score,"
                    " languages, text, meta, size, mtime_ns, ingested_at) VALUES ((SELECT id FROM documents"
                    " WHERE key = :key), :version, :status, 'en', 1.0, '[]', :body, '{}', 1, 1, :now)"
                ),
                {"key": key, "version": version, "status": status, "body": body, "now": now},
            )

    migrate.upgrade(db_url)

    store = Store(db_url)
    feed = store.changes(since=0, keys_only=True)
    assert [(c["change"], c["key"], c["version"]) for c in feed] == [
        ("created", "a.txt", 1), ("created", "b.txt", 1), ("updated", "a.txt", 2), ("deleted", "b.txt", 2),
    ]
    assert feed.cursor == 4
    assert [h.key for h in store.search("harbour final")] == ["a.txt"]
    assert store.search("tram") == []
    writer = Writer(db_url)
    writer.texts(**{"c.txt": "new after the upgrade"})
    assert [c["cursor"] for c in store.changes(since=4)] == [5]
