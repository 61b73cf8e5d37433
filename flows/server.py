"""Is a Prefect server configured and up? (The temporary local API has no scheduler.)"""

from __future__ import annotations

import httpx


def api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def reachable(url: str | None, timeout: float = 3.0) -> bool:
    if not url:
        return False
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def flow_run_page(flow_run_id: str) -> str:
    """The UI page of a flow run, from PREFECT_UI_URL (derived from the API URL by Prefect)."""
    from prefect.settings import PREFECT_UI_URL

    return f"{(PREFECT_UI_URL.value() or '').rstrip('/')}/runs/flow-run/{flow_run_id}"
