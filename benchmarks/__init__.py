"""Benchmarks: corpus generator and pipeline benchmark (issue 8)."""
