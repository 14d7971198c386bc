"""`hardbake compare`: the standard image against the hardened one, with CVEs from the real
tracker sample (../shared/data), as the README's table and the migration plan use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.testing.standard import standard_image

pytestmark = [pytest.mark.online, pytest.mark.docker]
runner = CliRunner()


def test_standard_vs_hardened_python(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARDBAKE_CACHE", str(tmp_path / "cache"))
    std = standard_image("bookworm", ("python3",))
    r = runner.invoke(app, ["build", "python:3.11", "--arch", "amd64", "-o", f"oci:{tmp_path}/py:1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["db", "update", "--from", str(shared_data / "debian_tracker_sample.json")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["compare", std.archive_ref, f"oci:{tmp_path}/py:1", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    a, b = doc["a"], doc["b"]
    assert len(a["packages"]) > 100 and len(b["packages"]) <= 40
    assert a["shells"] and not b["shells"] and a["package_managers"] and not b["package_managers"]
    assert len(a["setuid"]) >= 5 and b["setuid"] == []
    assert b["user"] == "65532:65532" and b["compressed"] < a["compressed"]
    vulns = doc["vulnerabilities"]
    total_a = sum(v["a"] for v in vulns["by_severity"].values())
    total_b = sum(v["b"] for v in vulns["by_severity"].values())
    assert total_a >= total_b  # fewer packages, no more CVEs
    assert {v["id"] for v in vulns["only_in_a"]}.isdisjoint({v["id"] for v in vulns["only_in_b"]})
    r = runner.invoke(
        app, ["compare", std.archive_ref, f"oci:{tmp_path}/py:1", "--format", "markdown", "--no-scan"]
    )
    assert r.exit_code == 0 and r.stdout.startswith("| |") and "setuid/setgid files" in r.stdout
