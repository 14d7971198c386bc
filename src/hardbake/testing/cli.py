"""Run the `hardbake` CLI in a subprocess, as a user would, with an isolated HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]


def run_hardbake(
    *args: str,
    home: Path,
    password: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`python -m hardbake.cli.main ARGS` with HOME=home (so ~/.docker and ~/.cache are the test's)."""
    full = {"PATH": os.environ["PATH"], "PYTHONPATH": str(SRC), "HOME": str(home), "COLUMNS": "200"}
    if password is not None:
        full["HARDBAKE_KEY_PASSWORD"] = password
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "hardbake.cli.main", *args],
        capture_output=True,
        text=True,
        env=full,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
