"""Shared CLI plumbing: output formats, consoles, writing results atomically.

Every verb that reports takes `--format` (with `--json` as an alias of `--format json`) and
`-o/--output`; this module holds the pieces they share so each verb stays thin.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console

from hardbake import atomic
from hardbake.errors import InputError

#: Human output goes to stdout; progress, warnings and errors go to stderr so that
#: `hardbake ... --format json | jq` always sees clean JSON.
# piped output is read by people too (CI logs): do not squeeze tables into 80 columns
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


class Format(StrEnum):
    table = "table"
    json = "json"


def pick_format(fmt: str, json_flag: bool, allowed: tuple[str, ...] = ("table", "json")) -> str:
    """Resolve `--format` and its `--json` alias into one validated choice."""
    chosen = "json" if json_flag else fmt
    if chosen not in allowed:
        raise InputError(f"unknown --format {chosen!r}", hint=f"choose one of: {', '.join(allowed)}")
    return chosen


def dumps_json(obj: Any) -> str:
    """Stable, human-readable JSON for machine consumers."""
    return json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n"


def emit(text: str, output: Path | None) -> None:
    """Send a rendered document to `-o FILE` (atomically) or to stdout."""
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic.write_text(output, text)
