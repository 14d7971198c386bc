"""Canonical JSON for configs, manifests and indexes: one byte string per value.

Sorted keys, no insignificant whitespace, UTF-8 (not \\u escapes), integers only. That is
what makes a manifest digest a pure function of its content (FACTS: reproducible layers).
Parsing refuses duplicate keys: two parsers that pick different duplicates would see two
different manifests under one digest.
"""

from __future__ import annotations

import json
from typing import Any

from hardbake.oci.errors import ImageError


def dumps(value: Any) -> bytes:
    """The canonical encoding of `value` (dicts, lists, str, int, bool, None)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _no_constants(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def loads(data: bytes, what: str) -> Any:
    """Parse JSON from a blob named `what`; malformed input is an ImageError naming it."""
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise ImageError(f"{what}: not valid JSON ({e})") from e


def loads_object(data: bytes, what: str) -> dict[str, Any]:
    value = loads(data, what)
    if not isinstance(value, dict):
        raise ImageError(f"{what}: expected a JSON object, found {type(value).__name__}")
    return value
