"""Prefect flows that compose the stages, and the `seedflow` command line."""
