"""A loopback HTTP proxy in front of a real server that can fail, reset or delay requests.

The S3 client is pointed at it instead of the server (via `AWS_ENDPOINT_URL`), so the
faults it injects are real HTTP answers and real dropped connections, not mocks.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


class FaultyProxy:
    """Forwards to `target`; `fail(n, ...)` makes the next n matching requests fail."""

    def __init__(self, target_host: str, target_port: int, latency: float = 0.0) -> None:
        self.target = (target_host, target_port)
        self.latency = latency
        self.requests: list[tuple[str, str]] = []
        self._failures = 0
        self._mode = "503"
        self._matches: Callable[[str, str], bool] = lambda method, path: True
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"proxy": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail(self, count: int, mode: str = "503", matches: Callable[[str, str], bool] | None = None) -> None:
        """The next `count` requests `matches(method, path)` accepts get a 503 SlowDown
        (`mode="503"`) or a connection reset (`mode="reset"`)."""
        with self._lock:
            self._failures, self._mode = count, mode
            self._matches = matches or (lambda method, path: True)

    def _should_fail(self, method: str, path: str) -> str | None:
        with self._lock:
            self.requests.append((method, path))
            if self._failures > 0 and self._matches(method, path):
                self._failures -= 1
                return self._mode
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: FaultyProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        fault = self.proxy._should_fail(self.command, self.path)
        if fault == "reset":
            # SO_LINGER 0 makes close() send a RST: the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if fault == "503":
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(SLOW_DOWN)))
            self.end_headers()
            self.wfile.write(SLOW_DOWN)
            return
        time.sleep(self.proxy.latency)
        upstream = http.client.HTTPConnection(*self.proxy.target, timeout=30)
        try:
            upstream.request(self.command, self.path, body, headers=dict(self.headers.items()))
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward
