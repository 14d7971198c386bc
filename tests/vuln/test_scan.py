"""The scan API end to end on the real samples: coverage, staleness, VEX and the gate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hardbake.vuln import Ecosystem, InstalledPackage, ScanTarget, Severity, State, VulnDB, scan
from hardbake.vuln.gate import evaluate

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def bookworm_target(
    versions: dict[str, str], *extra: InstalledPackage, ecosystems: set[Ecosystem] | None = None
) -> ScanTarget:
    pkgs = [InstalledPackage(Ecosystem.deb, s, v, distro="debian-12") for s, v in versions.items()]
    return ScanTarget(
        "std:bookworm", (*pkgs, *extra), frozenset(ecosystems or {Ecosystem.deb}), distro="debian-12"
    )


def test_coverage_never_says_zero_for_an_uncovered_ecosystem(
    sample_db: VulnDB, bookworm_versions: dict[str, str]
) -> None:
    jar = InstalledPackage(Ecosystem.maven, "org.example:lib", "1.0")
    r = scan(
        bookworm_target(bookworm_versions, jar, ecosystems={Ecosystem.deb, Ecosystem.maven}),
        sample_db,
        now=NOW,
    )
    cov = {c.ecosystem: c for c in r.coverage}
    assert cov["deb"].status == "covered" and any("vuln-list-debian" in f for f in cov["deb"].feeds)
    assert cov["maven"].status == "not covered"  # the sample DB has no Maven feed
    assert cov["golang"].status == "not inventoried"
    assert any("maven: not covered" in w for w in r.warnings)
    assert any("KEV" in w for w in r.warnings)


def test_stale_db_is_reported_on_every_scan(sample_db: VulnDB, bookworm_versions: dict[str, str]) -> None:
    r = scan(
        bookworm_target(bookworm_versions), sample_db, now=NOW + timedelta(days=30), max_age=timedelta(days=7)
    )
    assert sum("30 days ago" in w for w in r.warnings) == 3


def test_fixed_findings_are_evidence_not_findings(
    sample_db: VulnDB, bookworm_versions: dict[str, str]
) -> None:
    r = scan(bookworm_target(bookworm_versions), sample_db, now=NOW)
    assert all(f.state is not State.fixed for f in r.findings)
    assert any(f.id == "CVE-2023-4911" and f.origin == "DSA-5514-1" for f in r.resolved)


def test_fail_on_respects_vex(sample_db: VulnDB, shared_data: Path) -> None:
    tar = InstalledPackage(Ecosystem.deb, "tar", "1.34+dfsg-1.2+deb12u1", distro="debian-12")
    t = ScanTarget("x", (tar,), frozenset({Ecosystem.deb}), distro="debian-12")
    plain = scan(t, sample_db, fail_on=Severity.negligible, now=NOW)
    assert [f.id for f in plain.gate.failing] == ["CVE-2005-2541"]
    vexed = scan(
        t,
        sample_db,
        fail_on=Severity.negligible,
        now=NOW,
        vex_docs=[shared_data / "openvex_dhi_debian-base.vex.json"],
    )
    (f,) = vexed.findings
    assert f.vex is not None and f.vex.status == "not_affected" and f.state is State.unimportant
    assert not vexed.gate.failed


def test_unknown_counts_as_medium_unless_told(sample_db: VulnDB) -> None:
    util = InstalledPackage(Ecosystem.deb, "util-linux", "2.38.1-5+deb12u3", distro="debian-12")
    t = ScanTarget("x", (util,), frozenset({Ecosystem.deb}), distro="debian-12")
    r = scan(t, sample_db, fail_on=Severity.medium, now=NOW)
    (f,) = r.findings
    assert f.severity is Severity.unknown and r.gate.failed
    assert not evaluate(r.findings, Severity.medium, unknown_as=Severity.low).failed
    assert evaluate(r.findings, Severity.high, unknown_as=Severity.critical).failed
    assert not evaluate(r.findings, Severity.medium, ignore_states=[State.affected]).failed


def test_kev_flag_and_cvss_from_an_alias_record(tmp_path: Path, shared_data: Path) -> None:
    kev = {
        "catalogVersion": "2026.11.26",
        "dateReleased": "2026-11-26T00:00:00Z",
        "vulnerabilities": [{"cveID": "CVE-2023-4911", "dateAdded": "2023-11-21"}],
    }
    osv_deb = {
        "id": "DEBIAN-CVE-2023-4911",
        "modified": "2024-01-01T00:00:00Z",
        "aliases": ["CVE-2023-4911"],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "glibc"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u3"}]}
                ],
            }
        ],
    }
    osv_only = {
        "id": "DEBIAN-CVE-2099-7777",
        "modified": "2024-01-01T00:00:00Z",
        "aliases": ["CVE-2099-7777"],
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "glibc"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u20"}]}
                ],
            }
        ],
    }
    (tmp_path / "kev.json").write_text(json.dumps(kev))
    (tmp_path / "osv").mkdir()
    (tmp_path / "osv" / "a.json").write_text(json.dumps(osv_deb))
    (tmp_path / "osv" / "b.json").write_text(json.dumps(osv_only))
    with VulnDB.open(tmp_path / "v.sqlite") as db:
        db.update(
            [
                str(shared_data / "debian_tracker_sample.json"),
                str(tmp_path / "kev.json"),
                str(tmp_path / "osv"),
            ]
        )
        libc = InstalledPackage(
            Ecosystem.deb, "libc6", "2.36-9+deb12u2", "glibc", "2.36-9+deb12u2", "debian-12"
        )
        r = scan(ScanTarget("x", (libc,), frozenset({Ecosystem.deb}), distro="debian-12"), db, now=NOW)
    by = {f.id: f for f in r.findings}
    f = by["CVE-2023-4911"]  # decided by the tracker; the OSV record only lends its CVSS
    assert f.known_exploited and f.feed == "debian-tracker" and f.origin == "DSA-5514-1"
    assert f.severity is Severity.high and f.severity_source.startswith("cvss 7.8")
    assert "DEBIAN-CVE-2023-4911" not in by  # the same CVE is not reported twice
    o = by["DEBIAN-CVE-2099-7777"]  # a CVE only the Debian OSV data names is still matched
    assert (o.state, o.fixed_version) == (State.fixed_available, "2.36-9+deb12u20")
    assert not any("KEV" in w for w in r.warnings)
