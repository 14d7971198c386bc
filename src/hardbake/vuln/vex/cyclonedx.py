"""CycloneDX VEX (a BOM with `vulnerabilities[].analysis`) -> statements.

`analysis.state` maps to OpenVEX statuses: not_affected / false_positive -> not_affected;
resolved / resolved_with_pedigree -> fixed; exploitable -> affected; in_triage ->
under_investigation. CycloneDX justifications map to the OpenVEX ones they mean:
code_not_present -> vulnerable_code_not_present, code_not_reachable ->
vulnerable_code_not_in_execute_path, protected_* -> inline_mitigations_already_exist,
requires_* -> vulnerable_code_cannot_be_controlled_by_adversary. `affects[].ref` is a
bom-ref of a component in the same BOM (its purl is used) or a purl; `versions[]` with
`status: affected` narrows it to those versions. The author is the first of
metadata.authors / manufacturer / supplier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardbake.vuln.vex.interface import Product, Statement, VexError, parse_time

_STATE = {
    "not_affected": "not_affected",
    "false_positive": "not_affected",
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "exploitable": "affected",
    "in_triage": "under_investigation",
}
_JUST = {
    "code_not_present": "vulnerable_code_not_present",
    "code_not_reachable": "vulnerable_code_not_in_execute_path",
    "requires_configuration": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_dependency": "vulnerable_code_cannot_be_controlled_by_adversary",
    "requires_environment": "vulnerable_code_cannot_be_controlled_by_adversary",
    "protected_by_compiler": "inline_mitigations_already_exist",
    "protected_at_runtime": "inline_mitigations_already_exist",
    "protected_at_perimeter": "inline_mitigations_already_exist",
    "protected_by_mitigating_control": "inline_mitigations_already_exist",
}


def is_cyclonedx_vex(doc: Any) -> bool:
    return isinstance(doc, Mapping) and doc.get("bomFormat") == "CycloneDX" and "vulnerabilities" in doc


def _refs(doc: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    stack = list(doc.get("components") or [])
    meta = doc.get("metadata") or {}
    if isinstance(meta.get("component"), Mapping):
        stack.append(meta["component"])
    while stack:
        c = stack.pop()
        if isinstance(c, Mapping):
            if c.get("bom-ref") and c.get("purl"):
                out[str(c["bom-ref"])] = str(c["purl"])
            stack.extend(c.get("components") or [])
    return out


def _author(meta: Mapping[str, Any]) -> str:
    for a in meta.get("authors") or []:
        if isinstance(a, Mapping) and a.get("name"):
            return str(a["name"])
    for k in ("manufacturer", "supplier", "manufacture"):
        if isinstance(meta.get(k), Mapping) and meta[k].get("name"):
            return str(meta[k]["name"])
    return ""


def parse(doc: Mapping[str, Any], name: str) -> list[Statement]:
    meta = doc.get("metadata") or {}
    doc_time = parse_time(meta.get("timestamp"), name)
    author = _author(meta)
    refs = _refs(doc)
    out = []
    for i, v in enumerate(doc.get("vulnerabilities") or []):
        where = f"{name} vulnerabilities[{i}]"
        a = v.get("analysis") if isinstance(v, Mapping) else None
        if not isinstance(a, Mapping) or "state" not in a:
            continue  # a plain vulnerability listing, not a VEX statement
        state = _STATE.get(str(a["state"]))
        if state is None:
            raise VexError(f"{where}: unknown analysis.state {a['state']!r}")
        ts = parse_time(a.get("lastUpdated"), where) or parse_time(a.get("firstIssued"), where) or doc_time
        if ts is None:
            raise VexError(f"{where}: no timestamp (analysis.lastUpdated or metadata.timestamp)")
        products: list[Product] = []
        for aff in v.get("affects") or []:
            ref = str(aff.get("ref", ""))
            purl = refs.get(ref) or (ref if ref.startswith("pkg:") else ref.partition("#")[2] or None)
            if not purl:
                raise VexError(f"{where}: affects ref {ref!r} names no component with a purl")
            versions = [
                x.get("version")
                for x in aff.get("versions") or []
                if x.get("status", "affected") != "unaffected"
            ]
            if versions and "@" not in purl:
                products.extend(Product(f"{purl.split('?')[0]}@{ver}") for ver in versions if ver)
            else:
                products.append(Product(purl))
        if not products:
            raise VexError(f"{where}: analysis without affects")
        just = _JUST.get(str(a.get("justification"))) if a.get("justification") else None
        ids = [str(x) for x in (r.get("id") for r in v.get("references") or []) if x]
        out.append(
            Statement(
                str(v.get("id")),
                tuple(ids),
                state,
                tuple(products),
                author,
                ts,
                name,
                just,
                a.get("detail"),
                "; ".join(a.get("response") or []) or None,
                None,
                v.get("bom-ref"),
            )
        )
    return out
