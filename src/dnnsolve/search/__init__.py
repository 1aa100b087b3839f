"""Batched local search run on all restarts at once (CPU or GPU)."""
