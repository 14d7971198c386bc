"""VEX in (OpenVEX, CycloneDX VEX, CSAF VEX) and out (OpenVEX), with explicit trust.

`load(path)` reads one document, recognised by content, into statements. An OpenVEX
document may also arrive as the predicate of an in-toto Statement (what `cosign attest
--type openvex` produces), bare or inside a DSSE envelope: it is unwrapped here. Verifying
the envelope's signature is the attestation package's job; an unverified envelope is
treated exactly like a plain file (trust still comes only from `--vex-trust`).
"""

from __future__ import annotations

import base64
import binascii
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


def _unwrap(doc: Any, name: str) -> Any:
    if isinstance(doc, Mapping) and isinstance(doc.get("payload"), str) and "payloadType" in doc:
        try:
            doc = json.loads(base64.b64decode(doc["payload"], validate=True))
        except (ValueError, binascii.Error) as e:
            raise VexError(f"{name}: DSSE envelope payload is not base64 JSON") from e
    if isinstance(doc, Mapping) and str(doc.get("_type", "")).startswith("https://in-toto.io/Statement/"):
        doc = doc.get("predicate")
    return doc


def parse_document(doc: Any, name: str) -> list[Statement]:
    doc = _unwrap(doc, name)
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
