"""`seedflow ui`: check the store, warn about a reachable bind, then serve the browser with uvicorn."""

from __future__ import annotations

import ipaddress
import sys

from storage.readonly import StoreUnavailable, readonly_engine
from storage.session import display_url


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(url: str, host: str = "127.0.0.1", port: int = 8765) -> int:
    """Serve the browser until interrupted; 1 (with the reason on stderr) when there is no store to browse."""
    try:
        readonly_engine(url)
    except StoreUnavailable as error:
        print(f"seedflow ui: {error}", file=sys.stderr)
        return 1
    if not is_loopback(host):
        print(
            f"seedflow ui: WARNING: listening on {host}, beyond this machine; the browser has no login, "
            "so anyone who can reach the port can read every stored document",
            file=sys.stderr,
        )
    import uvicorn

    from browser.app import create_app

    shown = f"[{host}]" if ":" in host else host
    app = create_app(url)
    app.state.aggregates.get()  # the dashboard's totals, read once before the first visitor waits for them
    print(f"seedflow ui: browsing {display_url(url)} at http://{shown}:{port}/ (read-only; Ctrl-C stops)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
