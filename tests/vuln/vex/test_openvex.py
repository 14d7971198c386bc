"""OpenVEX in: the real DHI document, scope, trust, precedence, qualifier normalisation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hardbake.vuln import vex
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget
from hardbake.vuln.result import Finding
from hardbake.vuln.severity import Severity
from hardbake.vuln.state import State
from hardbake.vuln.vex import purl as purls
from hardbake.vuln.vex.apply import author_trusted, decide
from hardbake.vuln.vex.interface import Product, Statement, VexError

DHI = "Docker Hardened Images <dhi@docker.com>"
DIGEST = "sha256:" + "ab" * 32


def lz4(version: str = "1.9.4-1", distro: str = "debian-12") -> InstalledPackage:
    return InstalledPackage(Ecosystem.deb, "liblz4-1", version, "lz4", version, distro, "amd64")


def finding(pkg: InstalledPackage, vid: str = "CVE-2025-62813") -> Finding:
    return Finding(vid, (), pkg, State.no_dsa, Severity.low, "debian urgency low")


def target(
    *pkgs: InstalledPackage,
    repository: str | None = "registry.example/app",
    digest: str | None = None,
    distro: str = "debian-12",
) -> ScanTarget:
    return ScanTarget(
        "img", pkgs, frozenset({Ecosystem.deb}), digest=digest, distro=distro, repository=repository
    )


@pytest.fixture(scope="module")
def dhi(shared_data: Path) -> list[Statement]:
    return vex.load(shared_data / "openvex_dhi_debian-base.vex.json")


def test_reads_the_real_document(dhi: list[Statement]) -> None:
    assert len(dhi) == 53
    assert {s.status for s in dhi} == {"not_affected", "under_investigation"}
    assert all(s.author == DHI for s in dhi)
    s0 = dhi[0]
    assert (
        s0.vulnerability == "CVE-2025-62813"
        and s0.justification == "vulnerable_code_cannot_be_controlled_by_adversary"
    )
    scoped = [p for p in s0.products if p.subcomponents]
    assert {p.purl for p in scoped} == {"pkg:docker/dhi/debian-base", "pkg:oci/dhi%2Fdebian-base"}


def test_qualifiers_normalise_to_one_distro() -> None:
    a = purls.parse("pkg:deb/debian/lz4@1.9.4-1?distro=debian-12")
    b = purls.parse("pkg:deb/debian/lz4@1.9.4-1?os_distro=bookworm&os_name=debian&os_version=12")
    c = purls.parse("pkg:deb/debian/lz4@1.9.4-1?distro=bookworm")
    d = purls.parse("pkg:deb/debian/lz4@1.9.4-1?distro=debian-12.7")
    assert a and b and c and d
    assert {purls.distro_of(x) for x in (a, b, c, d)} == {"debian-12"}
    assert purls.matches_package(a, lz4()) and purls.matches_package(b, lz4())
    assert not purls.matches_package(b, lz4(distro="debian-13"))


def test_versioned_source_purl_applies_without_trust(dhi: list[Statement]) -> None:
    d = decide(finding(lz4()), dhi, target(lz4()), trust=())
    assert d is not None and d.status == "not_affected" and not d.trusted
    assert d.justification == "vulnerable_code_cannot_be_controlled_by_adversary"


def test_versionless_products_need_a_trusted_author(dhi: list[Statement]) -> None:
    other = lz4("1.9.4-2")  # no versioned product names this version
    assert decide(finding(other), dhi, target(other), trust=()) is None
    d = decide(finding(other), dhi, target(other), trust=["dhi@docker.com"])
    assert d is not None and d.trusted
    assert author_trusted(DHI, ["Docker Hardened Images"]) and not author_trusted(DHI, ["docker"])


def test_distro_scoping(dhi: list[Statement]) -> None:
    trixie = lz4("1.9.4-1", "debian-13")  # the DHI product for 1.9.4-1 is bookworm's
    assert decide(finding(trixie), dhi, target(trixie, distro="debian-13"), trust=()) is None


def test_statement_scoped_to_another_image_does_not_apply() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    scoped = Statement(
        "CVE-2025-62813",
        (),
        "not_affected",
        (Product("pkg:oci/other@" + "sha256:" + "cd" * 32, (), ("pkg:deb/debian/lz4@1.9.4-1",)),),
        "someone",
        now,
        "doc.json",
        "component_not_present",
    )
    assert decide(finding(lz4()), [scoped], target(lz4(), digest=DIGEST), trust=["someone"]) is None
    mine = Statement(
        "CVE-2025-62813",
        (),
        "not_affected",
        (Product(f"pkg:oci/app@{DIGEST}", (), ("pkg:deb/debian/lz4@1.9.4-1",)),),
        "someone",
        now,
        "doc.json",
        "component_not_present",
    )
    assert decide(finding(lz4()), [mine], target(lz4(), digest=DIGEST), trust=()) is not None
    # a versionless image product (a name, no digest) needs trust
    named = Statement(
        "CVE-2025-62813",
        (),
        "not_affected",
        (Product("pkg:docker/dhi/debian-base", (), ("pkg:deb/debian/lz4@1.9.4-1",)),),
        DHI,
        now,
        "d",
    )
    t = target(lz4(), repository="docker.io/dhi/debian-base")
    assert decide(finding(lz4()), [named], t, trust=()) is None
    assert decide(finding(lz4()), [named], t, trust=[DHI]) is not None


def test_precedence_newest_wins_and_trusted_affected_beats_untrusted_not_affected() -> None:
    p = (Product("pkg:deb/debian/lz4@1.9.4-1"),)
    old = Statement("CVE-2025-62813", (), "affected", p, "vendor", datetime(2025, 1, 1, tzinfo=UTC), "a.json")
    new = Statement(
        "CVE-2025-62813",
        (),
        "not_affected",
        p,
        "stranger",
        datetime(2025, 6, 1, tzinfo=UTC),
        "b.json",
        "vulnerable_code_not_present",
    )
    d = decide(finding(lz4()), [old, new], target(lz4()), trust=())
    assert d is not None and d.status == "not_affected" and d.document == "b.json"
    assert len(d.overridden) == 1 and "a.json" in d.overridden[0]
    d = decide(finding(lz4()), [old, new], target(lz4()), trust=["vendor"])
    assert d is not None and d.status == "affected" and d.trusted


def test_aliases_match(dhi: list[Statement]) -> None:
    s = Statement(
        "GHSA-xxxx",
        ("CVE-2099-1",),
        "fixed",
        (Product("pkg:pypi/jinja2@2.10"),),
        "a",
        datetime(2025, 1, 1, tzinfo=UTC),
        "d",
    )
    pkg = InstalledPackage(Ecosystem.pypi, "Jinja2", "2.10")
    f = Finding("PYSEC-2099-1", ("CVE-2099-1",), pkg, State.fixed_available, Severity.high, "x")
    t = ScanTarget("x", (pkg,), frozenset({Ecosystem.pypi}))
    assert decide(f, [s], t, trust=()) is not None


def test_bad_documents(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{}]}')
    with pytest.raises(VexError):
        vex.load(tmp_path / "a.json")
    (tmp_path / "b.json").write_text('{"hello": 1}')
    with pytest.raises(VexError, match="not an OpenVEX"):
        vex.load(tmp_path / "b.json")


def test_openvex_inside_an_in_toto_statement_and_dsse_envelope(shared_data: Path, tmp_path: Path) -> None:
    import base64
    import json

    doc = json.loads((shared_data / "openvex_dhi_debian-base.vex.json").read_text())
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "predicateType": "https://openvex.dev/ns/v0.2.0",
        "subject": [{"name": "app", "digest": {"sha256": "ab" * 32}}],
        "predicate": doc,
    }
    env = {
        "payloadType": "application/vnd.in-toto+json",
        "signatures": [],
        "payload": base64.b64encode(json.dumps(statement).encode()).decode(),
    }
    for i, wrapped in enumerate((statement, env)):
        (tmp_path / f"{i}.json").write_text(json.dumps(wrapped))
        assert len(vex.load(tmp_path / f"{i}.json")) == 53
