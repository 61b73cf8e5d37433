"""moto's S3 server with a bucket of N objects put straight into its in-memory backend.

Putting 100,000 objects over HTTP takes moto a quarter of an hour on a busy machine;
only the listing is measured at that size, so the objects are created in-process and
the listing still goes over HTTP to the real server.

    python benchmarks/moto_prefilled.py BUCKET COUNT   (prints the port once it serves)
"""

from __future__ import annotations

import socket
import sys
import threading

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer


def main(bucket: str, count: int) -> None:
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    backend.create_bucket(bucket, "us-east-1")
    for i in range(count):
        backend.put_object(bucket, f"corpus/part{i % 10}/group{i % 97:02}/doc{i:06}.txt", f"document {i}".encode())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
