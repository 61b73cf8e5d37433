"""The ingest flow end to end on a real store and a real Prefect API."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from flows.ingest import ingest
from storage.access import export_records, history, version_of
from tasks import clean


def run(source: Path, db_url: str, **options: Any) -> dict[str, Any]:
    return ingest(source=str(source), db=db_url, retry_delay_seconds=0, **options)


def test_fresh_ingest_stores_the_seed(source: Path, db_url: str, seed_key: str) -> None:
    report = run(source, db_url)

    assert report["outcomes"]["new"] == 1
    [record] = list(export_records(db_url))
    assert record["key"] == seed_key
    assert record["status"] == "active"
    assert record["version"] == 1
    assert record["language"] == "en"
    assert record["published"] == "2025-01-22"
    assert record["text"].startswith("Chinese President Xi Jinping")
    assert "date 2025" not in record["text"]
    assert record["flow_run_id"] == report["flow_run_id"]


def test_versions_follow_the_file(source: Path, db_url: str, seed_key: str) -> None:
    run(source, db_url)
    again = run(source, db_url)
    assert again["outcomes"]["unchanged"] == 1
    assert [v["version"] for v in history(db_url, seed_key)] == [1]

    path = source / seed_key
    path.write_text(path.read_text(encoding="utf-8") + "\nA corrected closing line.\n", encoding="utf-8")
    edited = run(source, db_url)
    assert edited["outcomes"]["updated"] == 1
    versions = history(db_url, seed_key)
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["text"].endswith("A corrected closing line.")

    shutil.copy(path, source / "copy-of-seed.txt")
    copied = run(source, db_url)
    assert copied["outcomes"]["new"] == 1 and copied["outcomes"]["duplicate"] == 1
    assert version_of(db_url, "copy-of-seed.txt")["duplicate_of"] == seed_key
    assert version_of(db_url, seed_key)["version"] == 2

    path.unlink()
    deleted = run(source, db_url)
    assert deleted["outcomes"]["deleted"] == 1
    assert [v["status"] for v in history(db_url, seed_key)] == ["active", "active", "deleted"]


def test_touched_file_with_same_bytes_writes_no_version(source: Path, sqlite_url: str, seed_key: str) -> None:
    run(source, sqlite_url)
    os.utime(source / seed_key, ns=(1, 1))
    report = run(source, sqlite_url)
    assert report["outcomes"]["unchanged"] == 1
    assert len(history(sqlite_url, seed_key)) == 1


def test_force_rereads_without_new_versions(source: Path, sqlite_url: str, seed_key: str) -> None:
    run(source, sqlite_url)
    report = run(source, sqlite_url, force=True)
    assert report["outcomes"]["unchanged"] == 1
    assert len(history(sqlite_url, seed_key)) == 1


def test_bad_files_are_rejected_and_the_rest_is_stored(source: Path, db_url: str, seed_key: str) -> None:
    (source / "empty.txt").write_bytes(b"")
    (source / "latin1.txt").write_bytes("caf\xe9".encode("latin-1") + b"\xff\xfe\x00")
    (source / "dangling.txt").symlink_to(source / "missing-target.txt")
    (source / "blank.html").write_text("<html><script>var x = 1;</script></html>", encoding="utf-8")

    report = run(source, db_url)

    assert report["outcomes"]["new"] == 1
    assert report["outcomes"]["rejected"] == 4
    reasons = {r["key"]: r["reason"] for r in report["rejected"]}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["dangling.txt"].startswith("broken symlink")
    assert reasons["latin1.txt"] == "binary file (NUL bytes)"
    assert reasons["blank.html"] == "no text left after cleaning"
    records = {r["key"]: r for r in export_records(db_url)}
    assert records[seed_key]["status"] == "active"
    assert records["empty.txt"]["status"] == "rejected" and records["empty.txt"]["error"] == "empty file"


def test_a_stage_that_fails_once_is_retried(
    source: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = clean.normalize
    calls = {"n": 0}

    def flaky(text: str) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("transient failure")
        return real(text)

    monkeypatch.setattr(clean, "normalize", flaky)
    report = run(source, sqlite_url, retries=1)
    assert report["outcomes"]["new"] == 1
    assert calls["n"] > 1


def test_html_is_extracted_with_its_title(tmp_path: Path, sqlite_url: str) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "story.html").write_text(
        "<html><head><title>Harbour reopens</title><style>p{}</style></head>"
        "<body><!-- tracking --><p>The harbour reopened on Monday after three weeks of repairs to the quay.</p>"
        "<noscript>enable js</noscript><template>hidden</template></body></html>",
        encoding="utf-8",
    )
    run(folder, sqlite_url)
    record = version_of(sqlite_url, "story.html")
    assert record["title"] == "Harbour reopens"
    assert record["text"] == "The harbour reopened on Monday after three weeks of repairs to the quay."
