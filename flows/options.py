"""How one ingest run behaves: every option and its default, in one place.

The `ingest` flow keeps flat keyword parameters (deployments and `prefect deployment run
--param force=true` address them by name) whose defaults are read from here; the command
line, the deployments and the flow itself all build an `IngestOptions`, so a default is
changed once and an invalid value is rejected the same way wherever it comes from.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SETTLE_SECONDS_VARIABLE = "SEEDFLOW_SETTLE_SECONDS"
SETTLE_SECONDS = 1.0
_MB = 1024 * 1024


def _settle_seconds() -> float:
    """Read when the options are built, so a served process or a test can move it by environment."""
    return float(os.environ.get(SETTLE_SECONDS_VARIABLE, SETTLE_SECONDS))


class IngestOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    force: bool = False
    batch_size: int = Field(250, ge=1)
    workers: int = Field(1, ge=1)
    dask_address: str | None = None
    # Only keys matching these globs, only files modified after this date.
    paths: list[str] | None = None
    since: date | None = None
    # A failed stage is retried with doubling delays, riding out a database restart.
    retries: int = Field(3, ge=0)
    retry_delay_seconds: float = Field(2.0, ge=0)
    # None: the default set of tasks.discover; "" stands for files without an extension.
    extensions: list[str] | None = None
    max_bytes: int = Field(20 * _MB, ge=0)
    follow_outside_symlinks: bool = False
    # A file modified more recently than this may still be being written: it waits for the next run.
    settle_seconds: float = Field(default_factory=_settle_seconds, ge=0)
    # Time limit for parsing one file.
    max_seconds: float = Field(60.0, gt=0)

    @classmethod
    def given(cls, **values: Any) -> IngestOptions:
        """Options from values where None means "not given", so the model's default applies.

        No option with a non-None default has a meaning for None, so a flag left out, a
        flow parameter left at None and the default all agree.
        """
        return cls(**{name: value for name, value in values.items() if value is not None})

    def parameters(self) -> dict[str, Any]:
        """The `ingest` flow's keyword parameters, JSON-ready as a deployment stores them."""
        return self.model_dump(mode="json")


def describe_default(name: str) -> str:
    """An option's default as `--help` shows it."""
    if name == "settle_seconds":
        return f"${SETTLE_SECONDS_VARIABLE}, else {SETTLE_SECONDS:g}"
    default = IngestOptions.model_fields[name].default
    if name == "max_bytes":
        return f"{default / _MB:g} MB"
    return f"{default:g}" if isinstance(default, float) else str(default)


# The defaults, for the flow's signature. Not settle_seconds: its default comes from the
# environment when a run starts, so the flow's parameter defaults to None ("not given").
DEFAULTS = IngestOptions()
