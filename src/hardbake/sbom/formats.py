"""SBOM output formats: one function per format, dispatched by this explicit mapping.

`table` is not here: it is a view for people, rendered by the CLI (the library never prints).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable

from hardbake.errors import InputError
from hardbake.sbom.model import Inventory


def inventory_json(inv: Inventory) -> bytes:
    """hardbake's own inventory document (`hardbake-sbom/1`), sorted keys."""
    return (json.dumps(inv.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _writer(module: str) -> Callable[[Inventory], bytes]:
    """The format library is imported when a document of that format is made."""

    def render(inv: Inventory) -> bytes:
        fn: Callable[[Inventory], bytes] = importlib.import_module(f"hardbake.sbom.{module}").render
        return fn(inv)

    return render


FORMATS: dict[str, Callable[[Inventory], bytes]] = {
    "spdx-json": _writer("spdx"),
    "cyclonedx-json": _writer("cyclonedx"),
    "json": inventory_json,
}

#: what each document format is, as OCI media types
MEDIA_TYPES = {"spdx-json": "application/spdx+json", "cyclonedx-json": "application/vnd.cyclonedx+json"}


def render(inv: Inventory, fmt: str) -> bytes:
    try:
        fn = FORMATS[fmt]
    except KeyError:
        raise InputError(
            f"unknown SBOM format {fmt!r}", hint=f"one of: {', '.join(FORMATS)}, table"
        ) from None
    return fn(inv)
