"""OpenVEX out: fixed from evidence, component_not_present only when absent, triage as notes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hardbake.vuln import Ecosystem, InstalledPackage, ScanTarget, VulnDB, scan, vex
from hardbake.vuln.vex.produce import produce_openvex

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DIGEST = "sha256:" + "ef" * 32


def test_produced_document(sample_db: VulnDB, tmp_path: Path) -> None:
    sample_db.import_changelog(
        "glibc (2.36-9+deb12u8) bookworm; urgency=medium\n\n  * Fix CVE-2099-4242 in iconv.\n", "changelog"
    )
    pkgs = (
        InstalledPackage(
            Ecosystem.deb, "libc6", "2.36-9+deb12u8", "glibc", "2.36-9+deb12u8", "debian-12", "amd64"
        ),
        InstalledPackage(
            Ecosystem.deb, "libssl3", "3.0.20-1~deb12u2", "openssl", "3.0.20-1~deb12u2", "debian-12"
        ),
        InstalledPackage(Ecosystem.deb, "libxml2", "2.9.14+dfsg-1.3~deb12u6", distro="debian-12"),
    )
    t = ScanTarget(
        "registry.example/app:1",
        pkgs,
        frozenset({Ecosystem.deb}),
        digest=DIGEST,
        distro="debian-12",
        repository="registry.example/app",
    )
    report = scan(t, sample_db, now=NOW)
    doc = produce_openvex(
        report, t, sample_db, author="builder@example", timestamp=NOW, absent_sources=["tar", "perl", "glibc"]
    )
    assert doc["@context"] == "https://openvex.dev/ns/v0.2.0" and doc["@id"].startswith(
        "https://openvex.dev/docs/"
    )
    by = {}
    for s in doc["statements"]:
        by.setdefault(s["vulnerability"]["name"], []).append(s)
        assert s["products"][0]["@id"].startswith("pkg:oci/app@sha256:")
        if s["status"] == "not_affected":
            assert s.get("justification") or s.get("impact_statement")
        if s["status"] == "affected":
            assert s["action_statement"]
    # fixed from changelog evidence, and from the tracker's DSA
    (cl,) = by["CVE-2099-4242"]
    assert cl["status"] == "fixed" and "changelog.Debian of glibc 2.36-9+deb12u8" in cl["status_notes"]
    (dsa,) = by["CVE-2023-4911"]
    assert dsa["status"] == "fixed" and "DSA-5514-1" in dsa["status_notes"]
    # Debian triage carried as notes, not as invented justifications
    (post,) = by["CVE-2024-5535"]
    assert (
        post["status"] == "affected" and "postponed" in post["status_notes"] and "justification" not in post
    )
    # component_not_present only for absent sources: tar and perl, never glibc (libc6 is present)
    cnp = [s for s in doc["statements"] if s.get("justification") == "component_not_present"]
    subjects = {s["products"][0]["subcomponents"][0]["@id"] for s in cnp}
    assert subjects == {"pkg:deb/debian/tar?distro=debian-12", "pkg:deb/debian/perl?distro=debian-12"}
    assert {s["vulnerability"]["name"] for s in cnp} == {"CVE-2005-2541", "CVE-2011-4116", "CVE-2023-31484"}
    # our own reader reads it back, and it applies to this image only
    import json

    (tmp_path / "out.vex.json").write_text(json.dumps(doc))
    stmts = vex.load(tmp_path / "out.vex.json")
    assert len(stmts) == len(doc["statements"])
