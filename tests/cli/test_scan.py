"""`hardbake scan` on real images against a DB of the real samples: Debian triage kept,
language packages matched, coverage stated, VEX applied, the gate's exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.testing.distroless import Runtime
from hardbake.testing.standard import StandardImage

pytestmark = [pytest.mark.docker, pytest.mark.online]

DHI_AUTHOR = "Docker Hardened Images <dhi@docker.com>"


def _scan(ref: str, db: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    r = CliRunner().invoke(app, ["scan", ref, "--db", str(db), "--json", *args])
    doc = json.loads(r.stdout) if r.stdout.strip().startswith("{") else {}
    return r.exit_code, doc, " ".join(r.output.split())


def _ids(doc: dict[str, Any], eco: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["id"], f["package"]["name"]): f for f in doc["findings"] if f["package"]["ecosystem"] == eco}


def test_standard_image_keeps_debian_states(std_python: StandardImage, vuln_db: Path) -> None:
    code, doc, _ = _scan(std_python.archive_ref, vuln_db)
    assert code == 0
    deb = _ids(doc, "deb")
    coreutils = deb[("CVE-2016-2781", "coreutils")]
    assert coreutils["state"] == "ignored" and coreutils["reason"] == "Minor issue"
    assert deb[("CVE-2025-4802", "libc6")]["state"] == "no-dsa"
    assert deb[("CVE-2025-4802", "libc6")]["package"]["source"] == "glibc"
    assert deb[("CVE-2024-5535", "libssl3")]["state"] == "postponed"
    assert deb[("CVE-2005-2541", "tar")]["state"] == "unimportant"
    assert deb[("CVE-2005-2541", "tar")]["package"]["layer_index"] == 0
    assert deb[("CVE-2005-2541", "tar")]["package"]["layer_digest"].startswith("sha256:")
    cov = {c["ecosystem"]: c["status"] for c in doc["coverage"]}
    assert cov["deb"] == "covered" and cov["pypi"] == "covered" and cov["npm"] == "covered"
    assert cov["maven"] == "not covered" and cov["golang"] == "not covered" and cov["apk"] == "not covered"
    assert doc["distro"] == "debian-12" and doc["packages"] > 100


def test_old_language_packages_are_found(std_apps: str, vuln_db: Path) -> None:
    code, doc, _ = _scan(std_apps, vuln_db)
    assert code == 0
    pypi, npm = _ids(doc, "pypi"), _ids(doc, "npm")
    assert pypi[("PYSEC-2019-217", "Jinja2")]["state"] == "fixed-available"
    assert pypi[("PYSEC-2019-217", "Jinja2")]["package"]["path"].endswith("Jinja2-2.10.dist-info/METADATA")
    assert ("PYSEC-2019-133", "urllib3") in pypi
    assert not any(name == "requests" for _, name in pypi)  # 2.32.3 is not affected by the sample
    lodash = npm[("NSWG-ECO-493", "lodash")]
    assert "CVE-2018-16487" in lodash["aliases"] and lodash["severity"] == "high"
    assert lodash["package"]["layer_index"] == 2
    assert ("NSWG-ECO-46", "ms") in npm


def test_fail_on_exit_codes(std_apps: str, std_python: StandardImage, vuln_db: Path) -> None:
    code, doc, out = _scan(std_apps, vuln_db, "--fail-on", "high")
    assert code == 1 and doc["gate"]["failed"]
    assert "at or above high remain after VEX" in out
    assert {f["id"] for f in doc["gate"]["failing"]} >= {"NSWG-ECO-493", "PYSEC-2023-192"}
    # the standard image alone has nothing high; unknown counts as medium unless told otherwise
    assert _scan(std_python.archive_ref, vuln_db, "--fail-on", "high")[0] == 0
    assert _scan(std_python.archive_ref, vuln_db, "--fail-on", "medium")[0] == 1
    assert _scan(std_python.archive_ref, vuln_db, "--fail-on", "high", "--unknown-as", "high")[0] == 1
    ignore = "affected,no-dsa,postponed,ignored,unimportant,end-of-life,undetermined,fixed-available"
    assert _scan(std_python.archive_ref, vuln_db, "--fail-on", "low", "--ignore-state", ignore)[0] == 0
    assert _scan(std_python.archive_ref, vuln_db, "--fail-on", "severe")[0] == 2


def test_dhi_vex_is_applied(std_python: StandardImage, vuln_db: Path, shared_data: Path) -> None:
    vex = str(shared_data / "openvex_dhi_debian-base.vex.json")
    _, plain, _ = _scan(std_python.archive_ref, vuln_db, "--fail-on", "medium")
    _, applied, _ = _scan(std_python.archive_ref, vuln_db, "--fail-on", "medium", "--vex", vex)
    before = _ids(plain, "deb")[("CVE-2025-5278", "coreutils")]
    after = _ids(applied, "deb")[("CVE-2025-5278", "coreutils")]
    assert before["vex"] is None and before["state"] == "affected"
    # coreutils@9.1-1 with os_distro=bookworm&os_version=12: a versioned product, applies untrusted
    assert after["vex"]["status"] == "not_affected"
    assert after["vex"]["justification"] == "vulnerable_code_cannot_be_controlled_by_adversary"
    failing_before = {(f["id"], f["package"]) for f in (plain["gate"]["failing"])}
    failing_after = {(f["id"], f["package"]) for f in (applied["gate"]["failing"])}
    assert ("CVE-2025-5278", "deb:coreutils@9.1-1") in failing_before - failing_after
    # versionless products (libpam-modules) only from a trusted author
    pam = ("CVE-2025-6020", "libpam-modules")
    assert _ids(applied, "deb")[pam]["vex"] is None
    _, trusted, _ = _scan(std_python.archive_ref, vuln_db, "--vex", vex, "--vex-trust", DHI_AUTHOR)
    assert _ids(trusted, "deb")[pam]["vex"]["status"] == "not_affected"


def test_runtime_image_and_report_formats(runtime: Runtime, vuln_db: Path, tmp_path: Path) -> None:
    code, doc, _ = _scan(runtime.ref, vuln_db)
    assert code == 0
    names = {f["package"]["name"] for f in doc["findings"]}
    assert "coreutils" not in names and "gcc-12-base" not in names
    assert doc["digest"] == str(runtime.image.digest())  # an OCI layout keeps the manifest
    runner = CliRunner()
    for fmt in ("sarif", "cyclonedx", "openvex", "table"):
        out = tmp_path / f"report.{fmt}"
        r = runner.invoke(app, ["scan", runtime.ref, "--db", str(vuln_db), "--format", fmt, "-o", str(out)])
        assert r.exit_code == 0, r.output
        text = out.read_text()
        if fmt == "cyclonedx":
            assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
        elif fmt == "sarif":
            assert json.loads(text)["version"] == "2.1.0"
        elif fmt == "openvex":
            assert json.loads(text)["@context"].startswith("https://openvex.dev/ns/")
        else:
            assert "libssl3" in text or "libc6" in text


def test_changelog_evidence_resolves_findings(std_python: StandardImage, fresh_db: Path) -> None:
    _, plain, _ = _scan(std_python.archive_ref, fresh_db)
    assert _ids(plain, "deb")[("CVE-2025-4802", "libc6")]["state"] == "no-dsa"
    code, doc, out = _scan(std_python.archive_ref, fresh_db, "--changelogs")
    assert code == 0 and "changelog evidence:" in out
    # glibc's changelog names CVE-2025-4802 at 2.36-9+deb12u11: fixed, kept as evidence
    assert ("CVE-2025-4802", "libc6") not in _ids(doc, "deb")
    resolved = {(f["id"], f["package"]["name"]): f for f in doc["resolved"]}
    assert resolved[("CVE-2025-4802", "libc6")]["origin"] == "changelog"
