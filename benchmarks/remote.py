"""Remote source on moto's local S3 server: unchanged re-scan, concurrent reads, listing memory.

Puts `--objects` small documents into a bucket (and the same files into a local folder),
then times (1) a full listing compared with the fingerprints of a previous listing, the
unchanged re-scan, counting object downloads in the server's own log (target: none, in
< 10 s for 10,000), and (2) reading every object with `read_many` against reading the
same files from the folder. With `--list-objects N` it also lists N objects (from a
moto prefilled in-process, see moto_prefilled.py) under tracemalloc and prints the peak
next to the peak for the first bucket: equal peaks show the listing streams.

moto is one Python process: its own request rate (about 100 GETs/s on a busy 2-core
machine) bounds `read_many` here, whatever the concurrency; the client CPU per object
printed beside it is this side's cost. That concurrency hides latency is shown by
tests/sources/test_remote_s3.py against a proxy adding 20 ms per request.

    .venv/bin/python benchmarks/remote.py [--objects 10000] [--concurrency 16] [--list-objects 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.formats import DEFAULT_EXTENSIONS  # noqa: E402
from tasks.sources.local import LocalFolder  # noqa: E402
from tasks.sources.base import Snapshot  # noqa: E402
from tasks.sources.remote import RemoteSource  # noqa: E402
from tests.sources.servers import DUMMY_AWS, start_moto  # noqa: E402

MAX_BYTES = 20 * 1024 * 1024


def documents(count: int) -> Iterator[tuple[str, bytes]]:
    """Small text documents in nested folders, ~1 KB each, every one different."""
    for i in range(count):
        body = f"Document {i}\n\n" + " ".join(f"word{(i * 7 + j) % 997}" for j in range(150))
        yield f"part{i % 10}/group{i % 97:02}/doc{i:06}.txt", body.encode()


def fill(client, bucket: str, count: int, folder: Path | None, threads: int = 32) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    client.create_bucket(Bucket=bucket)

    def put(item: tuple[str, bytes]) -> None:
        key, body = item
        client.put_object(Bucket=bucket, Key=f"corpus/{key}", Body=body)
        if folder is not None:
            path = folder / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)

    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(put, documents(count)):
            pass
    return time.perf_counter() - started


def object_gets(log: Path, mark: int, bucket: str) -> int:
    with log.open("rb") as handle:
        handle.seek(mark)
        return sum(1 for line in handle if f'"GET /{bucket}/'.encode() in line)


def listing_peak(source: RemoteSource) -> int:
    """Peak bytes Python allocated (all threads) while the whole listing streamed by."""
    tracemalloc.start()
    try:
        for _ in source.entries(DEFAULT_EXTENSIONS):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def listing_memory(count: int) -> None:
    """List `count` objects from a prefilled moto server in another process."""
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("moto_prefilled.py")), "many", str(count)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        print(f"prefilled moto with {count} objects: {time.perf_counter() - started:.1f} s")
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
        many = RemoteSource("s3://many/corpus")
        started = time.perf_counter()
        listed = sum(1 for _ in many.entries(DEFAULT_EXTENSIONS))
        print(f"listed {listed} objects in {time.perf_counter() - started:.1f} s")
        print(f"peak traced memory listing {listed} objects: {listing_peak(many) / 2**20:.1f} MiB")
    finally:
        server.terminate()
        server.wait()


def run(objects: int, concurrency: int, list_objects: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        server = start_moto(work / "moto.log")
        try:
            os.environ.update({**DUMMY_AWS, "AWS_ENDPOINT_URL": server.url})
            import boto3
            from botocore.config import Config

            client = boto3.client("s3", config=Config(max_pool_connections=64))
            folder = work / "folder"
            print(f"put {objects} objects: {fill(client, 'bench', objects, folder):.1f} s")

            source = RemoteSource("s3://bench/corpus")
            stored = {e.key: (e.size, e.mtime_ns, e.etag) for e in source.entries(DEFAULT_EXTENSIONS)}
            mark = server.mark()
            started = time.perf_counter()
            changed = sum(1 for e in source.entries(DEFAULT_EXTENSIONS) if stored.get(e.key) != (e.size, e.mtime_ns, e.etag))
            rescan = time.perf_counter() - started
            print(f"unchanged re-scan of {len(stored)} objects: {rescan:.2f} s, {changed} changed, "
                  f"{object_gets(server.log, mark, 'bench')} objects downloaded")

            entries = list(source.entries(DEFAULT_EXTENSIONS))
            started, cpu = time.perf_counter(), time.process_time()
            results = list(source.read_many(entries, MAX_BYTES, concurrency=concurrency))
            remote_seconds, remote_cpu = time.perf_counter() - started, time.process_time() - cpu
            failed = sum(1 for _, outcome in results if not isinstance(outcome, Snapshot))
            started = time.perf_counter()
            local = LocalFolder(folder)
            for entry in local.entries(DEFAULT_EXTENSIONS):
                local.read(entry, MAX_BYTES)
            local_seconds = time.perf_counter() - started
            print(f"read all {len(entries)}: bucket read_many(concurrency={concurrency}) {remote_seconds:.1f} s "
                  f"= {len(entries) / remote_seconds:.0f} objects/s ({failed} failed, "
                  f"client CPU {1000 * remote_cpu / len(entries):.1f} ms/object); "
                  f"local folder {local_seconds:.1f} s = {len(entries) / local_seconds:.0f} files/s")

            if list_objects:
                peak_10k = listing_peak(source)
                print(f"peak traced memory listing {len(entries)} objects: {peak_10k / 2**20:.1f} MiB")
                listing_memory(list_objects)
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--list-objects", type=int, default=0, help="also list this many objects (prefilled in another moto) and print peak memory")
    args = parser.parse_args()
    run(args.objects, args.concurrency, args.list_objects)


if __name__ == "__main__":
    main()
