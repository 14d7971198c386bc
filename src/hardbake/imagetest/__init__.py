"""Proving an image works: running a spec's `tests:` in the real Docker engine."""
