"""`hardbake vex`: OpenVEX from evidence — changelogs read from the image or from the cached
.debs its lock names; component_not_present only for sources with no binary in the image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.debian.lock import dumps
from hardbake.testing.distroless import Runtime
from hardbake.testing.standard import StandardImage

pytestmark = [pytest.mark.docker, pytest.mark.online]


def _vex(*args: str) -> tuple[dict[str, Any], str]:
    r = CliRunner().invoke(app, ["vex", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout), " ".join(r.output.split())


def _statements(doc: dict[str, Any], status: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for s in doc["statements"]:
        if s["status"] == status:
            out.setdefault(s["vulnerability"]["name"], []).append(s)
    return out


def test_fixed_from_the_image_changelogs(std_python: StandardImage, fresh_db: Path) -> None:
    doc, out = _vex(std_python.archive_ref, "--db", str(fresh_db))
    assert "changelog evidence:" in out
    fixed = _statements(doc, "fixed")
    glibc = fixed["CVE-2023-4911"][0]
    assert "changelog.Debian of glibc" in glibc["status_notes"]
    subs = {s["@id"] for s in glibc["products"][0]["subcomponents"]}
    assert any(s.startswith("pkg:deb/debian/libc6@2.36-9") for s in subs)
    # without --lock or --baseline nothing is claimed absent
    assert not any(s.get("justification") == "component_not_present" for s in doc["statements"])
    # Debian's triage is carried as notes, never turned into a justification
    affected = _statements(doc, "affected")
    assert "ignored in bookworm (Minor issue)" in affected["CVE-2016-2781"][0]["status_notes"]
    # the changelog is newer evidence than the tracker sample (which still says no-dsa)
    assert "changelog.Debian of glibc 2.36-9+deb12u11" in fixed["CVE-2025-4802"][0]["status_notes"]
    assert all("justification" not in s for s in doc["statements"] if s["status"] != "not_affected")


def test_runtime_image_with_lock_and_baseline(
    runtime: Runtime,
    std_python: StandardImage,
    fresh_db: Path,
    debian_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HARDBAKE_CACHE", str(debian_cache))  # where the .debs were fetched
    lock = tmp_path / "lock.json"
    lock.write_text(dumps(runtime.lock.to_json()))
    doc, out = _vex(
        runtime.ref, "--db", str(fresh_db), "--lock", str(lock), "--baseline", std_python.archive_ref
    )
    # the runtime image holds no changelog: they came from the cached .debs
    n = int(out.split("changelog evidence: ")[1].split(" ")[0])
    assert n == len({p.source for p in runtime.lock.packages if p.name != "gcc-12-base"})
    absent = {
        (s["vulnerability"]["name"], s["products"][0]["subcomponents"][0]["@id"])
        for s in doc["statements"]
        if s.get("justification") == "component_not_present"
    }
    assert ("CVE-2016-2781", "pkg:deb/debian/coreutils?distro=debian-12") in absent
    sources = {purl.split("/")[2].split("?")[0] for _, purl in absent}
    # present sources are never claimed absent: glibc, openssl (libssl3), gcc-12 (libgcc-s1,
    # although gcc-12-base itself was filtered out)
    assert not sources & {"glibc", "openssl", "gcc-12", "zlib", "ca-certificates"}
    assert {"coreutils", "tar"} <= sources
    assert doc["statements"] and all(
        s["products"][0]["@id"].startswith("pkg:oci/") for s in doc["statements"]
    )
