"""`hardbake build --sign --key`: the layout carries a signature and attestations that verify."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app

pytestmark = pytest.mark.online
runner = CliRunner()


def test_build_sign_then_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARDBAKE_KEY_PASSWORD", "correct horse")
    r = runner.invoke(app, ["key", "generate", "--out-dir", str(tmp_path / "keys")])
    assert r.exit_code == 0, r.output
    out = f"oci:{tmp_path}/img:1"
    r = runner.invoke(app, ["build", "static:debian12", "--arch", "amd64", "--sign", "--key", str(tmp_path / "keys/cosign.key"),
                            "-o", out, "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["signing"]["attached"][:3] == ["signature", "provenance", "hardening"]
    assert any("vulnerability database" in s for s in res["signing"]["skipped"])
    r = runner.invoke(
        app,
        [
            "verify",
            out,
            "--key",
            str(tmp_path / "keys/cosign.pub"),
            "--require",
            "provenance,hardening",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["verified"] and report["slsaBuildLevel"] == 1  # a key in the build process: L1, not L3
    # the provenance names every .deb of the lock with its URL and sha256
    layout = tmp_path / "img"
    index = json.loads((layout / "index.json").read_text())
    statements = []
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name", "").endswith(".att"):
            manifest = json.loads((layout / "blobs/sha256" / m["digest"].split(":")[1]).read_text())
            for layer in manifest["layers"]:
                env = json.loads((layout / "blobs/sha256" / layer["digest"].split(":")[1]).read_text())
                statements.append(json.loads(base64.b64decode(env["payload"])))
    prov = next(s["predicate"] for s in statements if s["predicateType"] == "https://slsa.dev/provenance/v1")
    debs = [d for d in prov["buildDefinition"]["resolvedDependencies"] if d.get("uri", "").endswith(".deb")]
    assert len(debs) >= len(res["platforms"][0]["packages"]) and all(
        len(d["digest"]["sha256"]) == 64 for d in debs
    )
    # another key does not verify
    r = runner.invoke(app, ["key", "generate", "--out-dir", str(tmp_path / "other")])
    r = runner.invoke(app, ["verify", out, "--key", str(tmp_path / "other/cosign.pub")])
    assert r.exit_code == 1


def test_sign_needs_a_key(tmp_path: Path) -> None:
    r = runner.invoke(app, ["build", "static:debian12", "--sign", "-o", f"oci:{tmp_path}/x:1"])
    assert r.exit_code == 2 and "--key" in r.output
