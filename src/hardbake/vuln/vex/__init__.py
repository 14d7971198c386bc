"""VEX in (OpenVEX, CycloneDX VEX, CSAF VEX) and out (OpenVEX), with explicit trust.

`load(path)` reads one document, recognised by content, into statements.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hardbake.vuln.vex import apply as apply
from hardbake.vuln.vex import csaf, cyclonedx, openvex
from hardbake.vuln.vex.interface import Statement, VexError

#: format name -> (recogniser, parser); tried in this order
FORMATS: dict[str, tuple[Callable[[Any], bool], Callable[[Mapping[str, Any], str], list[Statement]]]] = {
    "openvex": (openvex.is_openvex, openvex.parse),
    "cyclonedx": (cyclonedx.is_cyclonedx_vex, cyclonedx.parse),
    "csaf": (csaf.is_csaf_vex, csaf.parse),
}


def parse_document(doc: Any, name: str) -> list[Statement]:
    for is_fmt, parse in FORMATS.values():
        if is_fmt(doc):
            try:
                return parse(doc, name)
            except VexError:
                raise
            except (KeyError, TypeError, AttributeError, ValueError) as e:
                raise VexError(f"{name}: malformed VEX document ({type(e).__name__}: {e})") from e
    raise VexError(f"{name}: not an OpenVEX, CycloneDX VEX or CSAF VEX document")


def load(path: Path) -> list[Statement]:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise VexError(f"cannot read VEX document {path}: {e}") from e
    return parse_document(doc, str(path))
