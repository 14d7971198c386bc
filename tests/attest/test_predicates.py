"""Predicate names and the marker checks that catch a swapped predicate file."""

from __future__ import annotations

import pytest

from hardbake.attest import predicates
from hardbake.errors import InputError


def test_names_and_uris() -> None:
    assert predicates.predicate_type("provenance") == "https://slsa.dev/provenance/v1"
    assert predicates.predicate_type("https://example.test/p") == "https://example.test/p"
    assert predicates.requirement("sbom") == {predicates.SPDX, predicates.CYCLONEDX}
    assert predicates.OPENVEX_COSIGN in predicates.requirement("vex")
    for bad in ("", "nonsense"):
        with pytest.raises(InputError):
            predicates.predicate_type(bad)
        with pytest.raises(InputError):
            predicates.requirement(bad)


def test_body_markers() -> None:
    predicates.check_body(predicates.SPDX, {"spdxVersion": "SPDX-2.3"})
    predicates.check_body(predicates.CYCLONEDX, {"bomFormat": "CycloneDX"})
    predicates.check_body(predicates.OPENVEX, {"@context": "https://openvex.dev/ns/v0.2.0"})
    predicates.check_body("https://example.test/custom", {})
    with pytest.raises(InputError, match="not a CycloneDX"):
        predicates.check_body(predicates.CYCLONEDX, {"spdxVersion": "SPDX-2.3"})
    with pytest.raises(InputError, match="not SLSA v1"):
        predicates.check_body(predicates.SLSA_PROVENANCE_V1, {"predicate": {}})
