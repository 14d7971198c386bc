"""Predicate types hardbake attaches, and the short names `verify --require` accepts.

The third-party URIs are the ones cosign and the specs use (`cosign attest --type`):
SPDX `https://spdx.dev/Document`, CycloneDX `https://cyclonedx.org/bom`, SLSA provenance
v1 `https://slsa.dev/provenance/v1`, OpenVEX `https://openvex.dev/ns/v0.2.0` (cosign's
`openvex` alias writes `https://openvex.dev/ns`: both are accepted). hardbake's own
predicates (scan report, hardening report) are identified by URIs under
`https://hardbake.dev/attestations/`: identifiers, not documents to fetch.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from hardbake.errors import InputError

SPDX = "https://spdx.dev/Document"
CYCLONEDX = "https://cyclonedx.org/bom"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
OPENVEX = "https://openvex.dev/ns/v0.2.0"
OPENVEX_COSIGN = "https://openvex.dev/ns"
SCAN_REPORT = "https://hardbake.dev/attestations/scan-report/v1"
HARDENING = "https://hardbake.dev/attestations/hardening/v1"

#: `--require` names -> the predicate types any one of which satisfies them.
KINDS: MappingProxyType[str, frozenset[str]] = MappingProxyType(
    {
        "sbom": frozenset({SPDX, CYCLONEDX}),
        "spdx": frozenset({SPDX}),
        "cyclonedx": frozenset({CYCLONEDX}),
        "provenance": frozenset({SLSA_PROVENANCE_V1}),
        "vex": frozenset({OPENVEX, OPENVEX_COSIGN}),
        "scan": frozenset({SCAN_REPORT}),
        "hardening": frozenset({HARDENING}),
    }
)

#: `attest --predicate-type` short names -> the URI written.
ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        "spdx": SPDX,
        "cyclonedx": CYCLONEDX,
        "provenance": SLSA_PROVENANCE_V1,
        "slsaprovenance1": SLSA_PROVENANCE_V1,
        "vex": OPENVEX,
        "openvex": OPENVEX,
        "scan": SCAN_REPORT,
        "hardening": HARDENING,
    }
)


def predicate_type(name_or_uri: str) -> str:
    """A short name (`spdx`, `provenance`, ...) or a URI -> the predicate type URI."""
    if name_or_uri in ALIASES:
        return ALIASES[name_or_uri]
    if "://" in name_or_uri or name_or_uri.startswith("urn:"):
        return name_or_uri
    raise InputError(
        f"unknown predicate type {name_or_uri!r}",
        hint=f"use a URI or one of: {', '.join(sorted(ALIASES))}",
    )


def check_body(ptype: str, body: dict[str, Any]) -> None:
    """Refuse a predicate file that is plainly not of the type claimed (a swapped file).

    Light checks of each format's marker field; full validation belongs to the SBOM, VEX
    and scan modules that produce these documents.
    """
    markers: dict[str, tuple[str, Callable[[Any], bool], str]] = {
        SPDX: (
            "spdxVersion",
            lambda v: isinstance(v, str) and v.startswith("SPDX-"),
            "an SPDX JSON document",
        ),
        CYCLONEDX: ("bomFormat", lambda v: v == "CycloneDX", "a CycloneDX JSON BOM"),
        SLSA_PROVENANCE_V1: ("buildDefinition", lambda v: isinstance(v, dict), "SLSA v1 provenance"),
        OPENVEX: (
            "@context",
            lambda v: isinstance(v, str) and v.startswith(OPENVEX_COSIGN),
            "an OpenVEX document",
        ),
        HARDENING: ("shells", lambda v: isinstance(v, dict), "a hardbake hardening report"),
    }
    if ptype not in markers:
        return
    field, ok, what = markers[ptype]
    if not ok(body.get(field)):
        raise InputError(
            f"predicate for {ptype} is not {what}: field {field!r} is {body.get(field)!r}",
            hint="check that --predicate and --predicate-type go together",
        )


def requirement(name_or_uri: str) -> frozenset[str]:
    """A `--require` entry -> the set of predicate types that satisfy it."""
    if name_or_uri in KINDS:
        return KINDS[name_or_uri]
    if "://" in name_or_uri or name_or_uri.startswith("urn:"):
        return frozenset({name_or_uri})
    raise InputError(
        f"unknown required attestation {name_or_uri!r}",
        hint=f"use a predicate type URI or one of: {', '.join(sorted(KINDS))}",
    )
