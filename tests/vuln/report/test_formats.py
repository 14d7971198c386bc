"""Report formats: table, json (round trip), SARIF 2.1.0, CycloneDX 1.6 (validated), OpenVEX; compare."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from hardbake.errors import InputError
from hardbake.vuln import (
    Ecosystem,
    InstalledPackage,
    RenderContext,
    ScanReport,
    ScanTarget,
    Severity,
    VulnDB,
    compare,
    render,
    scan,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture()
def report_and_target(sample_db: VulnDB, shared_data: Path) -> tuple[ScanReport, ScanTarget]:
    pkgs = (
        InstalledPackage(
            Ecosystem.deb,
            "libc6",
            "2.36-9+deb12u2",
            "glibc",
            "2.36-9+deb12u2",
            "debian-12",
            layer_digest="sha256:" + "01" * 32,
            layer_index=0,
        ),
        InstalledPackage(Ecosystem.deb, "tar", "1.34+dfsg-1.2+deb12u1", distro="debian-12"),
        InstalledPackage(Ecosystem.pypi, "Jinja2", "2.10", path="/venv/lib/python3.11/site-packages"),
        InstalledPackage(Ecosystem.npm, "bassmaster", "1.5.1"),
    )
    t = ScanTarget(
        "app:1", pkgs, frozenset({Ecosystem.deb, Ecosystem.pypi, Ecosystem.npm}), distro="debian-12"
    )
    r = scan(
        t,
        sample_db,
        now=NOW,
        fail_on=Severity.high,
        vex_docs=[shared_data / "openvex_dhi_debian-base.vex.json"],
    )
    return r, t


def test_table(report_and_target: tuple[ScanReport, ScanTarget]) -> None:
    r, _ = report_and_target
    text = render(r, "table")
    assert "CVE-2023-4911" in text and "fixed-available" in text and "2.36-9+deb12u3" in text
    assert "VEX not_affected" in text and "Coverage" in text and "gate --fail-on high" in text


def test_json_round_trip(report_and_target: tuple[ScanReport, ScanTarget]) -> None:
    r, _ = report_and_target
    back = ScanReport.from_json(json.loads(render(r, "json")))
    assert back.findings == r.findings and back.gate.failed == r.gate.failed
    with pytest.raises(InputError):
        ScanReport.from_json({"schema": "something-else"})


def test_sarif(report_and_target: tuple[ScanReport, ScanTarget]) -> None:
    r, _ = report_and_target
    doc = json.loads(render(r, "sarif"))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rule_ids = {x["id"] for x in run["tool"]["driver"]["rules"]}
    results = {(x["ruleId"], x["properties"]["installedVersion"]): x for x in run["results"]}
    assert all(x["ruleId"] in rule_ids for x in run["results"])
    glibc = results["CVE-2023-4911", "2.36-9+deb12u2"]
    assert glibc["properties"]["debianState"] == "fixed-available"
    assert glibc["properties"]["fixedVersion"] == "2.36-9+deb12u3"
    nodsa = results["CVE-2025-4802", "2.36-9+deb12u2"]
    assert nodsa["properties"]["debianState"] == "no-dsa" and nodsa["properties"]["reason"] == "Minor issue"
    tar = results["CVE-2005-2541", "1.34+dfsg-1.2+deb12u1"]
    assert tar["suppressions"][0]["kind"] == "external"  # the DHI VEX statement


def test_cyclonedx_validates_and_carries_the_state(report_and_target: tuple[ScanReport, ScanTarget]) -> None:
    r, _ = report_and_target
    text = render(r, "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6"
    by = {(v["id"], v["affects"][0]["ref"]): v for v in doc["vulnerabilities"]}
    v = next(v for (i, ref), v in by.items() if i == "CVE-2023-4911")
    assert v["analysis"]["state"] == "exploitable" and v["analysis"]["response"] == ["update"]
    props = {p["name"]: p["value"] for p in v["properties"]}
    assert props["hardbake:debian:state"] == "fixed-available"
    tar = next(v for (i, ref), v in by.items() if i == "CVE-2005-2541")
    assert tar["analysis"]["state"] == "not_affected"  # VEX applied
    assert {p["name"]: p["value"] for p in tar["properties"]}["hardbake:debian:state"] == "unimportant"


def test_openvex_format_needs_the_target(report_and_target: tuple[ScanReport, ScanTarget]) -> None:
    r, t = report_and_target
    with pytest.raises(InputError):
        render(r, "openvex")
    doc = json.loads(render(r, "openvex", RenderContext(target=t)))
    assert doc["statements"]
    with pytest.raises(InputError, match="unknown report format"):
        render(r, "pdf")


def test_compare(sample_db: VulnDB, bookworm_versions: dict[str, str]) -> None:
    std_pkgs = tuple(
        InstalledPackage(Ecosystem.deb, s, v, distro="debian-12") for s, v in bookworm_versions.items()
    )
    std = ScanTarget("std", std_pkgs, frozenset({Ecosystem.deb}), distro="debian-12")
    keep = {"glibc", "openssl", "zlib", "ca-certificates", "tzdata"}
    hard = ScanTarget(
        "hardened",
        tuple(p for p in std_pkgs if p.name in keep),
        frozenset({Ecosystem.deb}),
        distro="debian-12",
    )
    a, b = scan(std, sample_db, now=NOW), scan(hard, sample_db, now=NOW)
    c = compare(a, b)
    assert c.in_both == len({f.cves[0] if f.cves else f.id for f in b.findings})
    gone = {v.id for v in c.only_in_a}
    assert "CVE-2005-2541" in gone and "CVE-2025-4802" not in gone  # tar dropped, glibc kept
    assert not c.only_in_b
    total_a = sum(x for x, _ in c.by_severity.values())
    assert total_a == len({f.cves[0] if f.cves else f.id for f in a.findings})
    assert c.by_state["no-dsa"][0] > c.by_state["no-dsa"][1]
    assert json.loads(json.dumps(c.to_json()))["only_in_a"]
