"""RemoteSource against moto's real S3 server on 127.0.0.1 (and a faulty proxy in front of it)."""

from __future__ import annotations

import hashlib
import pickle
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto")

from tasks.formats import DEFAULT_EXTENSIONS  # noqa: E402
from tasks.sources.local import LocalFolder  # noqa: E402
from tasks.sources.base import EntryChanging, ReadError, Snapshot, SourceEntry, SourceUnavailable  # noqa: E402
from tasks.sources.remote import RemoteSource  # noqa: E402
from tests.sources.http_proxy import FaultyProxy  # noqa: E402
from tests.sources.servers import DUMMY_AWS, MotoServer, free_port, start_moto, upload_tree  # noqa: E402

pytest_plugins = ["tests.sources.fixtures"]  # the moto server and bucket fixtures

TREE = {
    "a.txt": b"alpha",
    "README": b"no extension",
    "docs/b.html": b"<p>beta</p>",
    "docs/deep/c.md": b"# gamma",
    "docs/deep/\u00e9t\u00e9.txt": "\u00e9t\u00e9".encode(),
    "docs/image.png": b"\x89PNG",
    "docs/.hidden.txt": b"hidden",
    ".git/config.txt": b"hidden folder",
    "docs/.cache/x.txt": b"hidden folder",
}


def make_tree(root: Path) -> Path:
    for key, data in TREE.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def object_gets(moto: MotoServer, mark: int, bucket: str) -> list[str]:
    """Paths of object downloads (not listings) in the server's own request log."""
    return [path for method, path, _ in moto.requests_since(mark) if method == "GET" and path.startswith(f"/{bucket}/")]


def test_listing_has_the_keys_and_sizes_of_the_same_tree_in_a_folder(s3, bucket: str, tmp_path: Path) -> None:
    folder = make_tree(tmp_path / "corpus")
    upload_tree(s3, folder, bucket, "corpus")
    remote = list(RemoteSource(f"s3://{bucket}/corpus").entries(DEFAULT_EXTENSIONS))
    local = list(LocalFolder(folder).entries(DEFAULT_EXTENSIONS))
    assert sorted((e.key, e.size) for e in remote) == sorted((d.key, d.size) for d in local)
    assert {e.key for e in remote} == {"a.txt", "README", "docs/b.html", "docs/deep/c.md", "docs/deep/\u00e9t\u00e9.txt"}
    for entry in remote:
        assert entry.etag == hashlib.md5(TREE[entry.key]).hexdigest()
        assert entry.location == f"s3://{bucket}/corpus/{entry.key}"
        assert entry.mtime_ns > 0 and entry.rejected is None


def test_nested_prefix_lists_only_below_it_with_keys_relative_to_it(s3, bucket: str) -> None:
    for key in ("a/b/one.txt", "a/b/sub/two.txt", "a/bc/not-mine.txt", "a/three.txt", "a/b/"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    keys = [e.key for e in RemoteSource(f"s3://{bucket}/a/b/").entries(DEFAULT_EXTENSIONS)]
    assert keys == ["one.txt", "sub/two.txt"]
    everything = [e.key for e in RemoteSource(f"s3://{bucket}").entries(DEFAULT_EXTENSIONS)]
    assert everything == ["a/b/one.txt", "a/b/sub/two.txt", "a/bc/not-mine.txt", "a/three.txt"]


def test_extensions_filter_like_the_folder(s3, bucket: str) -> None:
    for key in ("x.TXT", "y.pdf", "z"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert [e.key for e in RemoteSource(f"s3://{bucket}").entries(frozenset({".txt"}))] == ["x.TXT"]
    assert [e.key for e in RemoteSource(f"s3://{bucket}").entries(frozenset({""}))] == ["z"]


def test_unchanged_objects_are_never_downloaded_and_a_changed_one_once(moto: MotoServer, s3, bucket: str) -> None:
    for i in range(20):
        s3.put_object(Bucket=bucket, Key=f"doc{i:02}.txt", Body=f"document {i}".encode())
    source = RemoteSource(f"s3://{bucket}")
    stored = {e.key: (e.size, e.etag) for e in source.entries(DEFAULT_EXTENSIONS)}
    s3.put_object(Bucket=bucket, Key="doc07.txt", Body=b"document 7, edited")
    s3.put_object(Bucket=bucket, Key="doc08.txt", Body=b"document 9")  # same size, other bytes
    mark = moto.mark()
    changed = [e for e in source.entries(DEFAULT_EXTENSIONS) if stored[e.key] != (e.size, e.etag)]
    assert [e.key for e in changed] == ["doc07.txt", "doc08.txt"]
    assert object_gets(moto, mark, bucket) == []
    snapshots = [source.read(e, max_bytes=1000) for e in changed]
    assert [s.data for s in snapshots] == [b"document 7, edited", b"document 9"]
    assert object_gets(moto, mark, bucket) == [f"/{bucket}/doc07.txt", f"/{bucket}/doc08.txt"]


def test_object_changed_since_listing_is_entry_changing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"first")
    source = RemoteSource(f"s3://{bucket}")
    [entry] = source.entries(DEFAULT_EXTENSIONS)
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"second, longer")
    with pytest.raises(EntryChanging, match="ETag changed"):
        source.read(entry, max_bytes=1000)


def test_object_vanished_since_listing_is_a_read_error(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"first")
    source = RemoteSource(f"s3://{bucket}")
    [entry] = source.entries(DEFAULT_EXTENSIONS)
    s3.delete_object(Bucket=bucket, Key="a.txt")
    with pytest.raises(ReadError, match="^vanished: a.txt was listed but is gone$"):
        source.read(entry, max_bytes=1000)


def test_too_large_by_its_listed_size_is_refused_unread(moto: MotoServer, s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="big.txt", Body=b"x" * 5000)
    source = RemoteSource(f"s3://{bucket}")
    [entry] = source.entries(DEFAULT_EXTENSIONS)
    mark = moto.mark()
    with pytest.raises(ReadError, match=r"file too large: 5000 bytes \(limit 4096\)"):
        source.read(entry, max_bytes=4096)
    assert object_gets(moto, mark, bucket) == []


def one_line_failure(source: RemoteSource) -> str:
    with pytest.raises(SourceUnavailable) as caught:
        list(source.entries(DEFAULT_EXTENSIONS))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"cannot list {source.display}: ")
    return message


def test_missing_bucket_or_prefix_cannot_be_listed(moto: MotoServer, s3, bucket: str) -> None:
    assert one_line_failure(RemoteSource("s3://seedflow-no-such-bucket/x")).endswith(": no such bucket")
    s3.put_object(Bucket=bucket, Key="here/a.txt", Body=b"x")
    assert one_line_failure(RemoteSource(f"s3://{bucket}/typo")).endswith(": nothing under this prefix")
    assert list(RemoteSource(f"s3://{bucket}/here").entries(frozenset({".md"}))) == []


def test_bad_credentials_cannot_be_listed(tmp_path: Path, moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second moto server that checks credentials (after 0 unauthenticated requests)
    knows no keys at all, so the dummy ones are refused as they would be by AWS."""
    strict = start_moto(tmp_path / "strict.log", env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", strict.url)
        message = one_line_failure(RemoteSource("s3://any-bucket/docs"))
    finally:
        strict.stop()
    assert message.endswith("access denied (InvalidAccessKeyId): check the credentials")
    assert DUMMY_AWS["AWS_SECRET_ACCESS_KEY"] not in message


def test_no_credentials_and_unreachable_endpoint_cannot_be_listed(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.delenv("AWS_ACCESS_KEY_ID")
        patch.delenv("AWS_SECRET_ACCESS_KEY")
        assert "no credentials found" in one_line_failure(RemoteSource("s3://some-bucket"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    message = one_line_failure(RemoteSource("s3://some-bucket", backoff=0.01))
    assert "unreachable" in message and "after 4 attempts" in message


@pytest.fixture
def proxy(moto: MotoServer, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The faulty proxy in front of moto, and the S3 clients of RemoteSource pointed at it."""
    proxy = FaultyProxy("127.0.0.1", int(moto.url.rsplit(":", 1)[1]))
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    yield proxy
    proxy.close()


def is_object_get(bucket: str):  # type: ignore[no-untyped-def]
    return lambda method, path: method == "GET" and path.startswith(f"/{bucket}/")


def test_transient_503s_and_resets_are_retried_inside_the_read(proxy: FaultyProxy, s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"survives")
    source = RemoteSource(f"s3://{bucket}", backoff=0.01)
    [entry] = source.entries(DEFAULT_EXTENSIONS)
    proxy.fail(2, "503", is_object_get(bucket))
    assert source.read(entry, max_bytes=100).data == b"survives"
    proxy.fail(2, "reset", is_object_get(bucket))
    assert source.read(entry, max_bytes=100).data == b"survives"
    gets = [r for r in proxy.requests if is_object_get(bucket)(*r)]
    assert len(gets) == 6


def test_persistent_failure_defers_the_entry(proxy: FaultyProxy, s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    source = RemoteSource(f"s3://{bucket}", backoff=0.01)
    [entry] = source.entries(DEFAULT_EXTENSIONS)
    proxy.fail(100, "503", is_object_get(bucket))
    with pytest.raises(EntryChanging, match="deferred, source kept failing: .*SlowDown.*after 4 attempts"):
        source.read(entry, max_bytes=100)


def test_listing_retries_a_throttled_page_and_fails_whole_when_a_page_keeps_failing(
    proxy: FaultyProxy, s3, bucket: str
) -> None:
    for i in range(30):
        s3.put_object(Bucket=bucket, Key=f"{i:02}.txt", Body=b"x")
    source = RemoteSource(f"s3://{bucket}", page_size=10, backoff=0.01)
    is_listing = lambda method, path: "list-type=2" in path  # noqa: E731
    proxy.fail(2, "503", is_listing)
    assert len(list(source.entries(DEFAULT_EXTENSIONS))) == 30
    listed = iter(source.entries(DEFAULT_EXTENSIONS))
    next(listed)
    proxy.fail(100, "503", is_listing)
    with pytest.raises(SourceUnavailable, match="SlowDown"):
        list(listed)


def test_listing_is_streamed_one_page_at_a_time(moto: MotoServer, s3, bucket: str) -> None:
    for i in range(50):
        s3.put_object(Bucket=bucket, Key=f"{i:02}.txt", Body=b"x")
    listing_requests = lambda mark: [p for m, p, _ in moto.requests_since(mark) if "list-type=2" in p]  # noqa: E731
    mark = moto.mark()
    listed = iter(RemoteSource(f"s3://{bucket}", page_size=10).entries(DEFAULT_EXTENSIONS))
    assert next(listed).key == "00.txt"
    time.sleep(1)  # let the prefetch of the next page land in the log, if it is coming
    assert len(listing_requests(mark)) <= 2  # this page and at most the next one
    assert len(list(listed)) == 49
    assert len(listing_requests(mark)) == 5


def test_read_many_keeps_requests_in_flight(proxy: FaultyProxy, s3, bucket: str) -> None:
    """Behind 50 ms of latency per request, 16 in flight beat one at a time by far (moto
    itself serves ~100 requests/s on a busy machine, so less latency would measure moto)."""
    for i in range(48):
        s3.put_object(Bucket=bucket, Key=f"{i:02}.txt", Body=f"body {i}".encode())
    source = RemoteSource(f"s3://{bucket}")
    entries = list(source.entries(DEFAULT_EXTENSIONS))
    proxy.latency = 0.05
    started = time.perf_counter()
    sequential = dict(source.read_many(entries, max_bytes=100, concurrency=1))
    sequential_seconds = time.perf_counter() - started
    started = time.perf_counter()
    concurrent = dict(source.read_many(entries, max_bytes=100, concurrency=16))
    concurrent_seconds = time.perf_counter() - started
    assert {e.key: s.data for e, s in concurrent.items()} == {e.key: s.data for e, s in sequential.items()}
    assert all(isinstance(s, Snapshot) and s.data == f"body {int(e.key[:2])}".encode() for e, s in concurrent.items())
    assert sequential_seconds > 48 * 0.05
    assert concurrent_seconds < sequential_seconds / 3, (sequential_seconds, concurrent_seconds)


def test_read_many_reports_failures_per_entry(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="ok.txt", Body=b"fine")
    s3.put_object(Bucket=bucket, Key="gone.txt", Body=b"soon gone")
    source = RemoteSource(f"s3://{bucket}")
    entries = list(source.entries(DEFAULT_EXTENSIONS))
    s3.delete_object(Bucket=bucket, Key="gone.txt")
    outcomes = {e.key: o for e, o in source.read_many(entries, max_bytes=100)}
    assert isinstance(outcomes["gone.txt"], ReadError) and str(outcomes["gone.txt"]).startswith("vanished: ")
    assert isinstance(outcomes["ok.txt"], Snapshot) and outcomes["ok.txt"].data == b"fine"


def test_listing_digest_changes_only_with_the_listing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"one")
    source = RemoteSource(f"s3://{bucket}")
    first = source.listing_digest(DEFAULT_EXTENSIONS)
    assert source.listing_digest(DEFAULT_EXTENSIONS) == first
    s3.put_object(Bucket=bucket, Key=".hidden.txt", Body=b"ignored")
    s3.put_object(Bucket=bucket, Key="image.png", Body=b"ignored")
    assert source.listing_digest(DEFAULT_EXTENSIONS) == first
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"two")
    second = source.listing_digest(DEFAULT_EXTENSIONS)
    assert second != first
    s3.put_object(Bucket=bucket, Key="b.txt", Body=b"new")
    assert source.listing_digest(DEFAULT_EXTENSIONS) not in (first, second)


def _read_in_worker(source: RemoteSource, entry: SourceEntry) -> bytes:
    return source.read(entry, max_bytes=100).data


def test_source_pickles_to_worker_processes_and_reconnects_there(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"from a worker")
    source = RemoteSource(f"s3://{bucket}")
    [entry] = source.entries(DEFAULT_EXTENSIONS)
    assert b"seedflow-test-secret" not in pickle.dumps(source)
    with ProcessPoolExecutor(max_workers=1) as pool:
        assert pool.submit(_read_in_worker, source, entry).result(timeout=60) == b"from a worker"
    assert pickle.loads(pickle.dumps(source)).read(entry, max_bytes=100).data == b"from a worker"


def test_display_carries_no_credentials() -> None:
    assert RemoteSource("s3://bucket/prefix/").display == "s3://bucket/prefix"
    assert RemoteSource("sftp://alice:s3cret@host.example:2222/docs").display == "sftp://host.example:2222/docs"
    assert RemoteSource("az://container/p?sig=abc&se=2030").display == "az://container/p"
    assert "s3cret" not in repr(RemoteSource("sftp://alice:s3cret@host/docs"))


def test_missing_backend_names_the_extra() -> None:
    with pytest.raises(SourceUnavailable, match=r"no backend installed for nosuchproto://|nosuchproto"):
        list(RemoteSource("nosuchproto://x/y").entries(DEFAULT_EXTENSIONS))

