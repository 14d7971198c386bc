"""`hardbake sbom` through the real CLI app: formats, files, platforms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.oci import layout, mutate
from hardbake.oci.blobs import BlobStore
from hardbake.oci.platform import Platform
from hardbake.sbom import Inventory
from hardbake.testing.sbomimages import dist_info, entries, image, npm_package

AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64", "v8")


@pytest.fixture()
def multiarch(tmp_path: Path) -> str:
    store = BlobStore(tmp_path / "store", fsync=False)
    images = [
        image(
            store,
            [
                entries(
                    {
                        "etc/os-release": "ID=debian\nVERSION_ID=12\n",
                        **dist_info("site", f"only-{p.architecture}", "1.0"),
                    }
                )
            ],
            platform=p,
        )
        for p in (AMD64, ARM64)
    ]
    out = tmp_path / "multi"
    layout.write(out, mutate.index(images), tags=("1",))
    return f"oci:{out}:1"


def test_formats(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "store", fsync=False)
    img = image(store, [entries({**npm_package("app/node_modules", "lodash", "4.17.4")})], platform=AMD64)
    layout.write(tmp_path / "l", img, tags=("x",))
    ref = f"oci:{tmp_path / 'l'}:x"
    runner = CliRunner()
    r = runner.invoke(app, ["sbom", ref, "--platform", "linux/amd64"])
    assert r.exit_code == 0, r.output
    assert "lodash" in r.stdout and "4.17.4" in r.stdout
    r = runner.invoke(app, ["sbom", ref, "--platform", "linux/amd64", "--json"])
    assert r.exit_code == 0, r.output
    inv = Inventory.from_json(json.loads(r.stdout))
    assert [p.purl for p in inv.packages] == ["pkg:npm/lodash@4.17.4"]
    for fmt, key in (("spdx-json", "spdxVersion"), ("cyclonedx-json", "bomFormat")):
        out = tmp_path / f"out.{fmt}"
        r = runner.invoke(app, ["sbom", ref, "--platform", "linux/amd64", "--format", fmt, "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert key in json.loads(out.read_text())
    r = runner.invoke(app, ["sbom", ref, "--format", "xml"])
    assert r.exit_code == 2 and "unknown --format" in r.output


def test_platform_selection(multiarch: str) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["sbom", multiarch, "--platform", "linux/arm64", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["image"]["platform"] == "linux/arm64/v8"
    assert [p["name"] for p in doc["packages"]] == ["only-arm64"]
    r = runner.invoke(app, ["sbom", multiarch, "--platform", "linux/s390x"])
    assert r.exit_code == 2 and "no image for platform" in r.output


def test_one_sbom_per_platform(multiarch: str, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["sbom", multiarch, "--platform", "all", "--format", "spdx-json"])
    assert r.exit_code == 2 and "-o DIR" in r.output
    out = tmp_path / "sboms"
    r = runner.invoke(app, ["sbom", multiarch, "--platform", "all", "--format", "spdx-json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["sbom-linux-amd64.spdx.json", "sbom-linux-arm64-v8.spdx.json"]
    arm = json.loads((out / "sbom-linux-arm64-v8.spdx.json").read_text())
    assert {p["name"] for p in arm["packages"]} >= {"only-arm64"}
    assert "only-amd64" not in {p["name"] for p in arm["packages"]}
