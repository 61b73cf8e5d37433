"""Measurements of seedflow's stages on the shared corpus (not part of the installed package)."""
