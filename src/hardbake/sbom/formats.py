"""SBOM output formats: one function per format, dispatched by this explicit mapping.

`table` is not here: it is a view for people, rendered by the CLI (the library never prints).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from hardbake.errors import InputError
from hardbake.sbom import cyclonedx, spdx
from hardbake.sbom.model import Inventory


def inventory_json(inv: Inventory) -> bytes:
    """hardbake's own inventory document (`hardbake-sbom/1`), sorted keys."""
    return (json.dumps(inv.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


FORMATS: dict[str, Callable[[Inventory], bytes]] = {
    "spdx-json": spdx.render,
    "cyclonedx-json": cyclonedx.render,
    "json": inventory_json,
}

#: what each document format is, as OCI media types
MEDIA_TYPES = {"spdx-json": spdx.MEDIA_TYPE, "cyclonedx-json": cyclonedx.MEDIA_TYPE}


def render(inv: Inventory, fmt: str) -> bytes:
    try:
        fn = FORMATS[fmt]
    except KeyError:
        raise InputError(
            f"unknown SBOM format {fmt!r}", hint=f"one of: {', '.join(FORMATS)}, table"
        ) from None
    return fn(inv)
