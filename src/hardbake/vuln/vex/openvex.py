"""OpenVEX v0.2.0 documents (https://github.com/openvex/spec) -> statements.

A statement's timestamp defaults to the document's, its author to the document's `author`.
Products are `{"@id": purl-or-IRI, "identifiers": {purl: ...}, "hashes": {sha-256: ...},
"subcomponents": [...]}`; an `@id` that is not a purl (a URL, a digest IRI) counts only
through its identifiers or hashes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hardbake.vuln.vex.interface import Product, Statement, VexError, parse_time


def is_openvex(doc: Any) -> bool:
    return isinstance(doc, Mapping) and str(doc.get("@context", "")).startswith("https://openvex.dev/ns")


def _component(c: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    ident = c.get("identifiers") if isinstance(c.get("identifiers"), Mapping) else {}
    purl = ident.get("purl") if ident else None
    cid = c.get("@id")
    if purl is None and isinstance(cid, str) and cid.startswith("pkg:"):
        purl = cid
    digests: list[str] = []
    hashes = c.get("hashes") if isinstance(c.get("hashes"), Mapping) else {}
    for alg in ("sha-256", "sha256"):
        if hashes and isinstance(hashes.get(alg), str):
            digests.append("sha256:" + hashes[alg].removeprefix("sha256:"))
    if isinstance(cid, str) and cid.startswith("sha256:"):
        digests.append(cid)
    return purl, tuple(digests)


def parse(doc: Mapping[str, Any], name: str) -> list[Statement]:
    doc_time = parse_time(doc.get("timestamp"), name)
    author = str(doc.get("author") or "")
    out = []
    stmts = doc.get("statements")
    if not isinstance(stmts, list):
        raise VexError(f"{name}: OpenVEX document without a statements list")
    for i, s in enumerate(stmts):
        where = f"{name} statement {i}"
        if not isinstance(s, Mapping):
            raise VexError(f"{where}: not an object")
        vuln = s.get("vulnerability")
        if isinstance(vuln, Mapping):
            vname, aliases = vuln.get("name") or vuln.get("@id"), tuple(vuln.get("aliases") or ())
        else:
            vname, aliases = vuln, ()
        if not isinstance(vname, str) or not vname:
            raise VexError(f"{where}: no vulnerability name")
        ts = parse_time(s.get("timestamp"), where) or doc_time
        if ts is None:
            raise VexError(f"{where}: neither the statement nor the document has a timestamp")
        products = []
        for p in s.get("products") or []:
            if not isinstance(p, Mapping):
                raise VexError(f"{where}: product is not an object")
            purl, digests = _component(p)
            subs = tuple(
                sp
                for sp in (_component(x)[0] for x in p.get("subcomponents") or [] if isinstance(x, Mapping))
                if sp
            )
            products.append(Product(purl, digests, subs))
        if not products:
            raise VexError(f"{where}: statement names no products")
        out.append(
            Statement(
                vname,
                tuple(str(a) for a in aliases),
                str(s.get("status")),
                tuple(products),
                str(s.get("author") or author),
                ts,
                name,
                s.get("justification"),
                s.get("impact_statement"),
                s.get("action_statement"),
                s.get("status_notes"),
                s.get("@id"),
            )
        )
    return out
