"""Measurements of seedflow on the shared corpus and generated ones (not part of the installed package)."""
