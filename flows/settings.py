"""Where seedflow reads from and writes to: flags, then environment, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tasks.sources import is_url

DEFAULT_SOURCE = "./seeds"
DEFAULT_STATE_DIR = Path(".seedflow")


def default_database_url() -> str:
    return f"sqlite:///{(DEFAULT_STATE_DIR / 'seedflow.db').resolve()}"


@dataclass(frozen=True)
class Settings:
    """`source` is a folder's absolute path, or a URL as given (s3://, sftp://, file:// ...)."""

    source: str
    database_url: str

    @classmethod
    def resolve(cls, source: str | os.PathLike[str] | None = None, database_url: str | None = None) -> Settings:
        """A flag wins over `SEEDFLOW_SOURCE` / `SEEDFLOW_DATABASE_URL`, which win over the defaults."""
        chosen_source = source or os.environ.get("SEEDFLOW_SOURCE") or DEFAULT_SOURCE
        chosen_url = database_url or os.environ.get("SEEDFLOW_DATABASE_URL") or default_database_url()
        location = str(chosen_source)
        return cls(source=location if is_url(location) else str(Path(location).resolve()), database_url=chosen_url)
