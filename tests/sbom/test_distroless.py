"""A distroless-style image assembled here from real .debs (fetched and verified by hardbake's
archive client): its SBOM equals the lock, minus what was filtered out or dropped on purpose;
the build-time SBOMs say the same and are stored beside the image as OCI 1.1 artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.debian.lock import ArchLock, dumps
from hardbake.oci import layout
from hardbake.oci.image import Image
from hardbake.sbom import Ecosystem, attach_sboms, build_sboms, find_sboms, inventories, osrelease
from hardbake.sbom.attach import CYCLONEDX, SPDX
from hardbake.testing.distroless import DebPresence, build_runtime

pytestmark = pytest.mark.online


@pytest.fixture(scope="module")
def runtime(
    debian_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ArchLock, list[DebPresence], Image, Path]:
    rt = build_runtime(debian_cache, tmp_path_factory.mktemp("runtime"))
    return rt.lock, rt.presence, rt.image, rt.layout


def test_sbom_equals_the_lock(runtime: tuple[ArchLock, list[DebPresence], Image, Path]) -> None:
    lock, presence, img, out = runtime
    kept = {p.name for p in presence if p.files_kept}
    assert "gcc-12-base" not in kept and "libssl3" in kept
    (one,) = inventories(f"oci:{out}:1")
    inv = one.inventory
    debs = {p.name: p for p in inv.by_ecosystem(Ecosystem.deb)}
    assert {(p.name, p.version, p.arch, p.source, p.source_version) for p in debs.values()} == {
        (lp.name, lp.version, lp.arch, lp.source, lp.source_version)
        for lp in lock.packages
        if lp.name in kept
    }
    assert inv.os is not None and inv.os.distro == "debian-12"
    assert inv.image.manifest_digest == str(img.digest())
    diff_ids = [str(x.diff_id()) for x in img.layers()]
    assert debs["libc6"].layer == 0 and debs["libc6"].layer_diff_id == diff_ids[0]
    assert debs["ca-certificates"].layer == 1 and debs["ca-certificates"].layer_diff_id == diff_ids[1]
    assert debs["libc6"].found_at == "/var/lib/dpkg/status.d/libc6"
    # status.d md5sums list only what the image holds: the image itself cannot know more
    assert all(p.presence == "complete" for p in debs.values())
    assert debs["ca-certificates"].licenses.known


def test_with_the_lock_the_excluded_are_listed(
    runtime: tuple[ArchLock, list[DebPresence], Image, Path], tmp_path: Path
) -> None:
    lock, _, _, out = runtime
    lock_file = tmp_path / "lock.json"
    lock_file.write_text(dumps(lock.to_json()))
    r = CliRunner().invoke(
        app, ["sbom", f"oci:{out}:1", "--lock", str(lock_file), "--format", "cyclonedx-json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    excluded = {
        c["name"]: {p["name"]: p["value"] for p in c["properties"]}
        for c in doc["components"]
        if c.get("scope") == "excluded"
    }
    assert set(excluded) == {"openssl", "debconf", "gcc-12-base"}
    assert excluded["openssl"]["hardbake:excluded:reason"] == "dropped by the spec: no CLI in runtime images"
    assert excluded["openssl"]["hardbake:excluded:cut-from"] == "ca-certificates"
    assert "filtered out" in excluded["gcc-12-base"]["hardbake:excluded:reason"]
    present = {c["name"] for c in doc["components"] if c.get("scope") != "excluded"}
    assert "gcc-12-base" not in present and "openssl" not in present


def test_build_sboms_from_lock_and_presence(runtime: tuple[ArchLock, list[DebPresence], Image, Path]) -> None:
    lock, presence, img, out = runtime
    (one,) = inventories(f"oci:{out}:1")
    fields = osrelease.parse(one.collected.fs.read_bytes("usr/lib/os-release"))
    args = dict(
        image_name="hardbake/runtime:1",
        image_digest=str(img.digest()),
        image_id=str(img.config_digest()),
        platform=img.platform(),
        source_date_epoch=1_700_000_000,
        os_release=fields,
    )
    sboms = build_sboms(lock, presence, **args)  # type: ignore[arg-type]
    assert build_sboms(lock, presence, **args) == sboms  # type: ignore[arg-type]
    inv = sboms.inventory
    assert inv.origin == "build"
    image_side = {(p.name, p.version) for p in one.inventory.packages}
    assert {(p.name, p.version) for p in inv.packages} == image_side
    ssl = next(p for p in inv.packages if p.name == "libssl3")
    assert ssl.presence == "partial" and 0 < (ssl.files_present or 0) < (ssl.files or 0)
    assert ("hardbake:deb:sha256", lock.package("libssl3").sha256) in ssl.properties  # type: ignore[union-attr]
    assert {e.name for e in inv.excluded} == {"openssl", "debconf", "gcc-12-base"}
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(sboms.cyclonedx.decode()) is None
    spdx_doc = json.loads(sboms.spdx)
    assert spdx_doc["packages"][0]["versionInfo"] == str(img.digest())
    assert "gcc-12-base" not in {p["name"] for p in spdx_doc["packages"]}


def test_attached_as_referrers(
    runtime: tuple[ArchLock, list[DebPresence], Image, Path], tmp_path: Path
) -> None:
    lock, presence, img, out = runtime
    fields = {"ID": "debian", "VERSION_ID": "12", "VERSION_CODENAME": "bookworm"}
    sboms = build_sboms(
        lock, presence, image_name="hardbake/runtime:1", image_digest=str(img.digest()),
        platform=img.platform(), source_date_epoch=1_700_000_000, os_release=fields,
    )  # fmt: skip
    spdx_desc, cdx_desc = attach_sboms(out, img, sboms)
    again = attach_sboms(out, img, sboms)
    assert again == (spdx_desc, cdx_desc)  # same bytes, same artifacts
    found = find_sboms(out, img.digest())
    assert [d.digest for d in found[SPDX]] == [spdx_desc.digest]
    assert [d.digest for d in found[CYCLONEDX]] == [cdx_desc.digest]
    lay = layout.Layout(out)
    art = lay.open(spdx_desc)
    assert isinstance(art, Image) and art.is_artifact()
    m = art.manifest()
    assert m.artifact_type == SPDX and m.subject is not None and m.subject.digest == img.digest()
    with art.open_blob(m.layers[0]) as f:
        data = f.read()
    assert data == sboms.spdx
    path = tmp_path / "doc.spdx.json"
    path.write_bytes(data)
    assert validate_full_spdx_document(parse_file(str(path))) == []
    # the image is still the only image of the layout (artifacts do not count)
    (again_inv,) = inventories(f"oci:{out}")
    assert again_inv.inventory.image.manifest_digest == str(img.digest())
