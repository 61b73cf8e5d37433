"""Container readers are pure (bytes in, members out): no Prefect API and no store needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def prefect_api() -> Iterator[None]:
    """Replaces the suite-wide temporary Prefect server, which these tests never call."""
    yield
