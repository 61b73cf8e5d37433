"""The event the folder watcher emits and the `watch` deployment waits for.

Its own module so the watcher names the event without importing the pipeline.
"""

from __future__ import annotations


CHANGED_EVENT = "seedflow.source.changed"


def source_resource_id(source: str) -> str:
    """The event resource that names one watched source folder."""
    return f"seedflow.source.{source}"
