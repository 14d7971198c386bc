"""Matching: every Debian state, the incumbents' edge cases, the real samples, language packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardbake.vuln.db import VulnDB
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget
from hardbake.vuln.match import Matcher
from hardbake.vuln.result import Finding
from hardbake.vuln.severity import Severity
from hardbake.vuln.state import State

EDGE_LIST = """\
CVE-2099-0001 (sid fix, bookworm has no line: inherits it)
\t- foo 2.0-1 (low)
CVE-2099-0002 (a 0 fixed version: never affected)
\t- foo 0
CVE-2099-0003 (fixed only through a DSA)
\t{DSA-9999-1}
\t- foo 2.0-1
CVE-2099-0004 (removed from sid, nothing for bookworm)
\t- foo <removed>
CVE-2099-0005 (end-of-life in bookworm)
\t- foo 2.0-1
\t[bookworm] - foo <end-of-life> (Not security supported)
CVE-2099-0006 (no-dsa)
\t- foo <unfixed>
\t[bookworm] - foo <no-dsa> (Minor issue)
CVE-2099-0007 (postponed)
\t- foo <unfixed>
\t[bookworm] - foo <postponed> (Fix along with next point release)
CVE-2099-0008 (ignored)
\t- foo <unfixed> (medium)
\t[bookworm] - foo <ignored> (Too intrusive)
CVE-2099-0009 (not-affected)
\t- foo 2.0-1
\t[bookworm] - foo <not-affected> (Vulnerable code not present)
CVE-2099-0010 (unimportant and unfixed)
\t- foo <unfixed> (unimportant)
CVE-2099-0011 (undetermined)
\t- foo <undetermined>
CVE-2099-0012 (bookworm fixed in a point release)
\t- foo 2.0-1 (high)
\t[bookworm] - foo 1.0-1+deb12u2
CVE-2099-0013 (trixie inherits sid)
\t- foo 1.5-1
"""
DSA_LIST = (
    "[01 Jan 2099] DSA-9999-1 foo - security update\n\t{CVE-2099-0003}\n\t[bookworm] - foo 1.0-1+deb12u1\n"
)


@pytest.fixture()
def edge_db(tmp_path: Path) -> VulnDB:
    (tmp_path / "list").write_text(EDGE_LIST)
    (tmp_path / "dsa").write_text(DSA_LIST)
    db = VulnDB.open(tmp_path / "v.sqlite")
    db.update([str(tmp_path / "list"), str(tmp_path / "dsa")])
    return db


def findings(db: VulnDB, *pkgs: InstalledPackage, distro: str = "debian-12") -> dict[str, Finding]:
    t = ScanTarget("t", pkgs, frozenset(p.ecosystem for p in pkgs), distro=distro)
    return {f.id: f for f in Matcher(db).match(t)}


def foo(version: str, distro: str = "debian-12") -> InstalledPackage:
    return InstalledPackage(Ecosystem.deb, "libfoo1", version, "foo", version, distro)


def test_every_debian_state_for_an_old_bookworm_version(edge_db: VulnDB) -> None:
    f = findings(edge_db, foo("1.0-1"))
    assert f["CVE-2099-0001"].state is State.affected  # only sid has the fix
    assert f["CVE-2099-0001"].fixed_version is None and "unstable at 2.0-1" in (f["CVE-2099-0001"].note or "")
    assert f["CVE-2099-0001"].severity is Severity.low  # urgency mapped, not dropped
    assert f["CVE-2099-0002"].state is State.not_affected  # fixed_version 0
    assert (f["CVE-2099-0003"].state, f["CVE-2099-0003"].fixed_version) == (
        State.fixed_available,
        "1.0-1+deb12u1",
    )
    assert f["CVE-2099-0003"].origin == "DSA-9999-1" and "DSA-9999-1" in f["CVE-2099-0003"].aliases
    assert f["CVE-2099-0004"].state is State.affected and "removed" in (f["CVE-2099-0004"].note or "")
    assert f["CVE-2099-0005"].state is State.end_of_life
    assert (f["CVE-2099-0006"].state, f["CVE-2099-0006"].reason) == (State.no_dsa, "Minor issue")
    assert f["CVE-2099-0007"].state is State.postponed
    assert (f["CVE-2099-0008"].state, f["CVE-2099-0008"].severity) == (State.ignored, Severity.medium)
    assert f["CVE-2099-0009"].state is State.not_affected
    assert (f["CVE-2099-0010"].state, f["CVE-2099-0010"].severity) == (State.unimportant, Severity.negligible)
    assert f["CVE-2099-0011"].state is State.undetermined
    assert f["CVE-2099-0011"].severity is Severity.unknown  # never silently low
    assert f["CVE-2099-0012"].state is State.fixed_available and f["CVE-2099-0012"].severity is Severity.high
    assert len({x.state for x in f.values()}) == 9


def test_fixed_versions(edge_db: VulnDB) -> None:
    f = findings(edge_db, foo("1.0-1+deb12u2"))
    assert f["CVE-2099-0003"].state is State.fixed and f["CVE-2099-0012"].state is State.fixed
    # a bookworm package at or above the sid fix inherits it (no line of its own)
    f = findings(edge_db, foo("2.0-1"))
    assert f["CVE-2099-0001"].state is State.fixed
    assert f["CVE-2099-0006"].state is State.no_dsa  # no sid fix to inherit


def test_trixie_inherits_the_sid_line(edge_db: VulnDB) -> None:
    f = findings(edge_db, foo("1.5-1", "debian-13"), distro="debian-13")
    assert f["CVE-2099-0013"].state is State.fixed
    assert f["CVE-2099-0003"].state is State.affected  # the DSA was for bookworm only
    assert f["CVE-2099-0005"].state is State.affected  # end-of-life was bookworm's line


def test_changelog_evidence_marks_fixed(edge_db: VulnDB) -> None:
    edge_db.import_changelog(
        "foo (1.0-1+deb12u1) bookworm; urgency=medium\n\n  * CVE-2099-0006 CVE-2099-0100\n", "cl"
    )
    f = findings(edge_db, foo("1.0-1+deb12u1"))
    assert (f["CVE-2099-0006"].state, f["CVE-2099-0006"].origin) == (State.fixed, "changelog")
    assert f["CVE-2099-0100"].state is State.fixed  # a CVE only the changelog names
    assert findings(edge_db, foo("1.0-1"))["CVE-2099-0006"].state is State.no_dsa


def test_glibc_sample_joined_with_bookworm_versions(
    sample_db: VulnDB, bookworm_versions: dict[str, str]
) -> None:
    old = InstalledPackage(Ecosystem.deb, "libc6", "2.36-9+deb12u2", "glibc", "2.36-9+deb12u2", "debian-12")
    current = InstalledPackage(
        Ecosystem.deb, "libc6", bookworm_versions["glibc"], "glibc", bookworm_versions["glibc"], "debian-12"
    )
    f_old = findings(sample_db, old)
    assert (f_old["CVE-2023-4911"].state, f_old["CVE-2023-4911"].fixed_version) == (
        State.fixed_available,
        "2.36-9+deb12u3",
    )
    assert f_old["CVE-2024-2961"].fixed_version == "2.36-9+deb12u6"
    f_new = findings(sample_db, current)
    assert f_new["CVE-2023-4911"].state is State.fixed
    assert f_new["CVE-2025-4802"].state is State.no_dsa
    assert f_new["CVE-2010-4756"].state is State.unimportant


def test_every_bookworm_package_of_the_sample(sample_db: VulnDB, bookworm_versions: dict[str, str]) -> None:
    pkgs = [InstalledPackage(Ecosystem.deb, s, v, distro="debian-12") for s, v in bookworm_versions.items()]
    t = ScanTarget("bookworm", tuple(pkgs), frozenset({Ecosystem.deb}), distro="debian-12")
    got = Matcher(sample_db).match(t)
    by = {(f.id, f.package.name): f for f in got}
    assert by["CVE-2024-0727", "openssl"].state is State.fixed  # [bookworm] line, archive has a newer version
    assert by["CVE-2024-5535", "openssl"].state is State.postponed
    assert by["CVE-2016-2781", "coreutils"].state is State.ignored
    assert by["CVE-2024-3094", "xz-utils"].state is State.not_affected
    assert by["CVE-2025-21587", "openjdk-17"].state is State.fixed  # DSA-5913-1
    assert by["CVE-2023-44487", "nginx"].state is State.unimportant
    assert by["CVE-2024-6232", "python3.11"].state is State.no_dsa  # sid <removed>, bookworm no-dsa
    assert ("CVE-2024-22019", "nodejs") in by
    # every state the sample holds stays distinct
    states = {f.state for f in got}
    assert {
        State.fixed,
        State.affected,
        State.no_dsa,
        State.postponed,
        State.ignored,
        State.not_affected,
        State.unimportant,
    } <= states


def test_old_pypi_package_in_a_venv(sample_db: VulnDB) -> None:
    pkg = InstalledPackage(Ecosystem.pypi, "Jinja2", "2.10", path="/app/venv/lib/python3.11/site-packages")
    f = findings(sample_db, pkg)
    assert f["PYSEC-2019-217"].state is State.fixed_available
    assert f["PYSEC-2019-217"].fixed_version == "2.10.1"
    assert "CVE-2019-10906" in f["PYSEC-2019-217"].aliases
    assert findings(sample_db, InstalledPackage(Ecosystem.pypi, "jinja2", "3.1.4")) == {}


def test_old_npm_package(sample_db: VulnDB) -> None:
    f = findings(sample_db, InstalledPackage(Ecosystem.npm, "bassmaster", "1.5.1"))
    assert (f["NSWG-ECO-1"].state, f["NSWG-ECO-1"].fixed_version) == (State.fixed_available, ">=1.5.2")
    assert f["NSWG-ECO-1"].severity is Severity.medium and f["NSWG-ECO-1"].severity_source.startswith(
        "cvss 6.5"
    )
    assert findings(sample_db, InstalledPackage(Ecosystem.npm, "bassmaster", "1.5.2")) == {}


def test_node_runtime_core_advisories(sample_db: VulnDB) -> None:
    f = findings(sample_db, InstalledPackage(Ecosystem.generic, "node", "20.20.1"))
    assert "NSWG-CORE-170" in f and f["NSWG-CORE-170"].severity is Severity.low
    assert "NSWG-CORE-170" not in findings(sample_db, InstalledPackage(Ecosystem.generic, "node", "20.20.2"))


def test_one_vulnerability_from_two_databases_is_one_finding(tmp_path: Path) -> None:
    import json

    def rec(vid: str) -> dict[str, object]:
        return {
            "id": vid,
            "modified": "2024-01-01T00:00:00Z",
            "aliases": ["CVE-2099-5555"],
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "foo"},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
                }
            ],
        }

    (tmp_path / "a.json").write_text(json.dumps([rec("PYSEC-2099-1"), rec("GHSA-aaaa-bbbb-cccc")]))
    with VulnDB.open(tmp_path / "v.sqlite") as db:
        db.update([str(tmp_path / "a.json")])
        f = findings(db, InstalledPackage(Ecosystem.pypi, "foo", "1.0"))
    assert list(f) == ["GHSA-aaaa-bbbb-cccc"] and "CVE-2099-5555" in f["GHSA-aaaa-bbbb-cccc"].aliases
