"""CSAF 2.0 VEX profile (`document.category: csaf_vex`) -> statements.

Products come from `product_tree`: leaves of `branches` and `full_product_names` with a
`product_identification_helper.purl` (or `hashes` for images), and `relationships` of
category `default_component_of` / `installed_on` etc. that make product ids for "package P
inside product Q" (a scope with a subcomponent). `product_status` lists map to statuses:
known_not_affected -> not_affected, fixed / first_fixed -> fixed, known_affected ->
affected, under_investigation. Justifications come from `flags[].label` for the product.
Author: `document.publisher.name`; timestamp: `document.tracking.current_release_date`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardbake.vuln.vex.interface import JUSTIFICATIONS, Product, Statement, VexError, parse_time

_STATUS = {
    "known_not_affected": "not_affected",
    "fixed": "fixed",
    "first_fixed": "fixed",
    "known_affected": "affected",
    "under_investigation": "under_investigation",
}


def is_csaf_vex(doc: Any) -> bool:
    d = doc.get("document") if isinstance(doc, Mapping) else None
    return (
        isinstance(d, Mapping) and str(d.get("category", "")).startswith("csaf_") and "vulnerabilities" in doc
    )


def _leaf_products(tree: Mapping[str, Any]) -> dict[str, Product]:
    out: dict[str, Product] = {}

    def add(fpn: Mapping[str, Any]) -> None:
        helper = fpn.get("product_identification_helper") or {}
        digests = tuple(
            "sha256:" + h["value"]
            for fh in helper.get("hashes") or []
            for h in fh.get("file_hashes") or []
            if h.get("algorithm") == "sha256"
        )
        out[str(fpn["product_id"])] = Product(helper.get("purl"), digests)

    stack = list(tree.get("branches") or [])
    while stack:
        b = stack.pop()
        if isinstance(b.get("product"), Mapping):
            add(b["product"])
        stack.extend(b.get("branches") or [])
    for f in tree.get("full_product_names") or []:
        add(f)
    for rel in tree.get("relationships") or []:
        comp, scope = (
            out.get(str(rel.get("product_reference"))),
            out.get(str(rel.get("relates_to_product_reference"))),
        )
        fpn = rel.get("full_product_name") or {}
        if comp and scope and fpn.get("product_id") and comp.purl:
            out[str(fpn["product_id"])] = Product(scope.purl, scope.digests, (comp.purl,))
    return out


def parse(doc: Mapping[str, Any], name: str) -> list[Statement]:
    d = doc["document"]
    author = str((d.get("publisher") or {}).get("name") or "")
    ts = parse_time((d.get("tracking") or {}).get("current_release_date"), name)
    if ts is None:
        raise VexError(f"{name}: CSAF document without tracking.current_release_date")
    products = _leaf_products(doc.get("product_tree") or {})
    out = []
    for i, v in enumerate(doc.get("vulnerabilities") or []):
        where = f"{name} vulnerabilities[{i}]"
        vid = v.get("cve") or next((x.get("text") for x in v.get("ids") or []), None)
        if not vid:
            raise VexError(f"{where}: no cve or ids")
        flags = {pid: f.get("label") for f in v.get("flags") or [] for pid in f.get("product_ids") or []}
        impacts = {
            pid: t.get("details")
            for t in v.get("threats") or []
            if t.get("category") == "impact"
            for pid in t.get("product_ids") or []
        }
        for key, status in _STATUS.items():
            for pid in (v.get("product_status") or {}).get(key) or []:
                prod = products.get(str(pid))
                if prod is None:
                    raise VexError(f"{where}: product id {pid!r} is not in the product tree")
                just = flags.get(pid)
                out.append(
                    Statement(
                        str(vid),
                        tuple(x.get("text") for x in v.get("ids") or [] if x.get("text") != vid),
                        status,
                        (prod,),
                        author,
                        ts,
                        name,
                        just if just in JUSTIFICATIONS else None,
                        impacts.get(pid),
                        statement_id=f"{vid}/{pid}",
                    )
                )
    return out
