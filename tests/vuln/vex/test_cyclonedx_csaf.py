"""CycloneDX VEX and CSAF VEX in: mapped to the same statements, scoped the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hardbake.vuln import vex
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget
from hardbake.vuln.result import Finding
from hardbake.vuln.severity import Severity
from hardbake.vuln.state import State
from hardbake.vuln.vex.apply import decide

DIGEST = "sha256:" + "12" * 32
PKG = InstalledPackage(Ecosystem.pypi, "Jinja2", "2.10")
FINDING = Finding("PYSEC-2019-217", ("CVE-2019-10906",), PKG, State.fixed_available, Severity.high, "x")


def cdx() -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"timestamp": "2025-02-01T00:00:00Z", "authors": [{"name": "App Team"}]},
        "components": [
            {
                "bom-ref": "jinja",
                "type": "library",
                "name": "jinja2",
                "version": "2.10",
                "purl": "pkg:pypi/jinja2@2.10",
            }
        ],
        "vulnerabilities": [
            {
                "id": "CVE-2019-10906",
                "analysis": {
                    "state": "not_affected",
                    "justification": "code_not_reachable",
                    "detail": "sandbox unused",
                },
                "affects": [{"ref": "jinja"}],
            },
            {"id": "CVE-2000-0001", "affects": [{"ref": "jinja"}]},  # no analysis: not a statement
        ],
    }


def csaf(digest: str) -> dict[str, Any]:
    return {
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "publisher": {"name": "Vendor"},
            "tracking": {"current_release_date": "2025-03-01T00:00:00Z"},
        },
        "product_tree": {
            "full_product_names": [
                {
                    "product_id": "IMG",
                    "name": "app image",
                    "product_identification_helper": {
                        "hashes": [
                            {
                                "file_hashes": [{"algorithm": "sha256", "value": digest.split(":")[1]}],
                                "filename": "image",
                            }
                        ]
                    },
                },
                {
                    "product_id": "JINJA",
                    "name": "jinja2 2.10",
                    "product_identification_helper": {"purl": "pkg:pypi/jinja2@2.10"},
                },
            ],
            "relationships": [
                {
                    "category": "default_component_of",
                    "product_reference": "JINJA",
                    "relates_to_product_reference": "IMG",
                    "full_product_name": {"product_id": "JINJA-IN-IMG", "name": "jinja2 in app"},
                }
            ],
        },
        "vulnerabilities": [
            {
                "cve": "CVE-2019-10906",
                "product_status": {"known_not_affected": ["JINJA-IN-IMG"]},
                "flags": [{"label": "vulnerable_code_not_in_execute_path", "product_ids": ["JINJA-IN-IMG"]}],
            }
        ],
    }


def test_cyclonedx_vex(tmp_path: Path) -> None:
    (tmp_path / "bom.json").write_text(json.dumps(cdx()))
    (s,) = vex.load(tmp_path / "bom.json")
    assert (s.status, s.justification, s.author) == (
        "not_affected",
        "vulnerable_code_not_in_execute_path",
        "App Team",
    )
    t = ScanTarget("x", (PKG,), frozenset({Ecosystem.pypi}))
    d = decide(FINDING, [s], t, trust=())
    assert d is not None and d.impact_statement == "sandbox unused"


def test_csaf_vex_is_scoped_to_the_image_by_digest(tmp_path: Path) -> None:
    (tmp_path / "csaf.json").write_text(json.dumps(csaf(DIGEST)))
    (s,) = vex.load(tmp_path / "csaf.json")
    assert s.products[0].subcomponents == ("pkg:pypi/jinja2@2.10",)
    mine = ScanTarget("x", (PKG,), frozenset({Ecosystem.pypi}), digest=DIGEST)
    other = ScanTarget("x", (PKG,), frozenset({Ecosystem.pypi}), digest="sha256:" + "34" * 32)
    d = decide(FINDING, [s], mine, trust=())
    assert d is not None and d.justification == "vulnerable_code_not_in_execute_path"
    assert decide(FINDING, [s], other, trust=["Vendor"]) is None
