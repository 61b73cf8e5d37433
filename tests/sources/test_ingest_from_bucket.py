"""`seedflow ingest --source s3://…` against moto's S3 server on loopback: the folder's
guarantees, from a bucket, and a corpus moved from a folder to a bucket keeps its history."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto")

from deployments.poll import poll_source  # noqa: E402
from flows.ingest import ingest  # noqa: E402
from storage.access import export_records  # noqa: E402
from tasks.formats import DEFAULT_EXTENSIONS  # noqa: E402
from tasks.sources.remote import RemoteSource  # noqa: E402
from tests.helpers import make_corpus  # noqa: E402
from tests.sources.servers import MotoServer, upload_tree  # noqa: E402

pytest_plugins = ["tests.sources.fixtures"]  # the moto server and bucket fixtures


def _gets(moto: MotoServer, mark: int, bucket: str) -> int:
    return sum(1 for method, path, _ in moto.requests_since(mark) if method == "GET" and path.startswith(f"/{bucket}/"))


def _state(url: str) -> dict[str, tuple[int, str, str | None]]:
    return {r["key"]: (r["version"], r["status"], r["content_hash"]) for r in export_records(url)}


def test_a_bucket_ingests_like_a_folder(tmp_path: Path, moto: MotoServer, s3, bucket: str, sqlite_url: str) -> None:
    folder = make_corpus(tmp_path / "corpus", 40)
    upload_tree(s3, folder, bucket, "corpus")
    source = f"s3://{bucket}/corpus"

    first = ingest(source=source, db=sqlite_url, retry_delay_seconds=0)
    local_url = f"sqlite:///{tmp_path / 'local.db'}"
    ingest(source=str(folder), db=local_url, retry_delay_seconds=0)
    assert {k: v[1:] for k, v in _state(sqlite_url).items()} == {k: v[1:] for k, v in _state(local_url).items()}
    assert first["outcomes"]["new"] == len(_state(sqlite_url))

    mark = moto.mark()
    again = ingest(source=source, db=sqlite_url, retry_delay_seconds=0)
    assert _gets(moto, mark, bucket) == 0 and again["outcomes"].get("new", 0) == 0

    keys = sorted(_state(sqlite_url))
    edited, gone = keys[0], keys[1]
    s3.put_object(Bucket=bucket, Key=f"corpus/{edited}", Body=b"An edited document, different from every other one in the corpus.")
    s3.delete_object(Bucket=bucket, Key=f"corpus/{gone}")
    mark = moto.mark()
    ingest(source=source, db=sqlite_url, retry_delay_seconds=0)
    assert _gets(moto, mark, bucket) == 1
    state = _state(sqlite_url)
    # (Near-copy links of the corpus's similar articles may move with the edit, as on a folder.)
    assert state[edited][:2] == (2, "active") and state[gone][1] == "deleted"


def test_a_corpus_moved_from_a_folder_to_a_bucket_keeps_its_documents(
    tmp_path: Path, s3, bucket: str, sqlite_url: str
) -> None:
    folder = make_corpus(tmp_path / "corpus", 30)
    ingest(source=str(folder), db=sqlite_url, retry_delay_seconds=0)
    before = _state(sqlite_url)
    upload_tree(s3, folder, bucket, "moved")
    report = ingest(source=f"s3://{bucket}/moved", db=sqlite_url, retry_delay_seconds=0)
    assert _state(sqlite_url) == before
    assert report["outcomes"].get("new", 0) == 0 and report["outcomes"].get("deleted", 0) == 0


def test_serve_polls_a_bucket_and_announces_a_changed_listing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="feed/a.txt", Body=b"first")
    announced = threading.Event()
    stop = threading.Event()
    poller = threading.Thread(
        target=poll_source, args=(RemoteSource(f"s3://{bucket}/feed"), DEFAULT_EXTENSIONS, announced.set, stop, 0.2)
    )
    poller.start()
    try:
        assert not announced.wait(1.0)
        s3.put_object(Bucket=bucket, Key="feed/b.txt", Body=b"second")
        assert announced.wait(20)
    finally:
        stop.set()
        poller.join(10)
