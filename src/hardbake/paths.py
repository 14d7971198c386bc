"""Where hardbake keeps its files: the cache (packages, indices, vuln DB) and the state DB.

`HARDBAKE_CACHE` overrides the cache root (default `$XDG_CACHE_HOME/hardbake`, else
`~/.cache/hardbake`); `HARDBAKE_STATE` names the patch loop's state database.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    env = os.environ.get("HARDBAKE_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "hardbake"


def state_file() -> Path:
    env = os.environ.get("HARDBAKE_STATE")
    if env:
        return Path(env).expanduser()
    return cache_dir() / "state.sqlite"
