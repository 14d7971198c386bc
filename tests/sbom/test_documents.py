"""SPDX 2.3 and CycloneDX 1.6 documents: validated by the formats' own libraries, read back,
and byte-identical for the same image (even in another process, another time zone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from hardbake.oci.blobs import BlobStore
from hardbake.oci.image import Image
from hardbake.sbom import Ecosystem, Exclusion, Inventory, inventories, render, take_inventory
from hardbake.testing.sbomimages import EPOCH, Link, dist_info, entries, image, npm_package

DEBIAN_OS = (
    'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
)
DEP5 = (
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
    "Files: *\nCopyright: x\nLicense: GPL-2+\n\nFiles: a/*\nCopyright: y\nLicense: public-domain\n"
)


@pytest.fixture()
def img(store: BlobStore) -> Image:
    files = {
        "usr/lib/os-release": DEBIAN_OS,
        "etc/os-release": Link("../usr/lib/os-release"),
        "var/lib/dpkg/status.d/libfoo1": "Package: libfoo1\nVersion: 1.0-1\nArchitecture: amd64\nSource: foo\nMaintainer: Foo Team <foo@example.org>\n",
        "var/lib/dpkg/status.d/libfoo1.md5sums": "0123  usr/lib/libfoo.so.1\n0456  usr/lib/missing.so\n",
        "usr/lib/libfoo.so.1": "elf",
        "usr/share/doc/libfoo1/copyright": DEP5,
        **dist_info("opt/venv/lib/python3.11/site-packages", "Jinja2", "2.10", license="BSD"),
        **npm_package("app/node_modules", "lodash", "4.17.4"),
        **npm_package("other/node_modules", "lodash", "4.17.4"),  # same purl twice: distinct bom-refs
    }
    return image(store, [entries(files)])


def _inv(img: Image) -> Inventory:
    inv, _ = take_inventory(img, name="example.org/app:1")
    return replace(
        inv,
        excluded=(
            Exclusion(
                Ecosystem.deb,
                "openssl",
                "dropped by the spec: no CLI",
                purl="pkg:deb/debian/openssl?distro=debian-12",
                cut_from=("ca-certificates",),
            ),
        ),
    )


def test_spdx_validates_and_reads_back(img: Image, tmp_path: Path) -> None:
    inv = _inv(img)
    data = render(inv, "spdx-json")
    path = tmp_path / "sbom.spdx.json"
    path.write_bytes(data)
    doc = parse_file(str(path))
    assert validate_full_spdx_document(doc) == []
    names = {p.name for p in doc.packages}
    assert {"libfoo1", "Jinja2", "lodash", "debian", "example.org/app:1"} <= names
    assert "openssl" not in names  # excluded: never listed as a package
    assert any("excluded: pkg:deb/debian/openssl" in a.annotation_comment for a in doc.annotations)
    foo = next(p for p in doc.packages if p.name == "libfoo1")
    assert str(foo.license_declared) == "GPL-2.0-or-later AND LicenseRef-public-domain"
    assert "partially present: 1 of 2 files" in (foo.comment or "")
    assert "source package foo 1.0-1" in (foo.source_info or "")
    assert foo.external_references[0].locator == "pkg:deb/debian/libfoo1@1.0-1?arch=amd64&distro=debian-12"
    assert {e.license_id for e in doc.extracted_licensing_info} == {
        "LicenseRef-public-domain",
        "LicenseRef-BSD",
    }
    contains = [r for r in doc.relationships if r.relationship_type.name == "CONTAINS"]
    assert len(contains) == len(inv.packages) + 1  # + the OS
    raw = json.loads(data)
    assert raw["spdxVersion"] == "SPDX-2.3"
    assert raw["creationInfo"]["created"] == "2023-11-14T22:13:20Z"  # the image's created (EPOCH)


def test_cyclonedx_validates(img: Image) -> None:
    data = render(_inv(img), "cyclonedx-json")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode()) is None
    doc = json.loads(data)
    assert doc["specVersion"] == "1.6" and doc["serialNumber"].startswith("urn:uuid:")
    assert doc["metadata"]["component"]["type"] == "container"
    assert doc["metadata"]["timestamp"].startswith("2023-11-14T22:13:20")
    comps = {(c["name"], c.get("scope")) for c in doc["components"]}
    assert ("openssl", "excluded") in comps and ("debian", None) in comps
    refs = [c["bom-ref"] for c in doc["components"]]
    assert len(refs) == len(set(refs))
    lodash = [c for c in doc["components"] if c["name"] == "lodash"]
    assert len(lodash) == 2 and {c["purl"] for c in lodash} == {"pkg:npm/lodash@4.17.4"}
    foo = next(c for c in doc["components"] if c["name"] == "libfoo1")
    props = {p["name"]: p["value"] for p in foo["properties"]}
    assert props["hardbake:deb:source"] == "foo" and props["hardbake:presence"] == "partial: 1 of 2 files"
    assert {lic["license"].get("id") or lic["license"].get("name") for lic in foo["licenses"]} == {
        "GPL-2.0-or-later",
        "public-domain",
    }
    image_dep = next(d for d in doc["dependencies"] if d["ref"] == "image")
    assert len(image_dep["dependsOn"]) == len(_inv(img).packages) + 1


@pytest.mark.parametrize("fmt", ["spdx-json", "cyclonedx-json", "json"])
def test_same_image_same_bytes_in_another_process(
    fmt: str, img: Image, save: Callable[..., str], tmp_path: Path
) -> None:
    ref = save(img, "oci")
    (one,) = inventories(ref)
    first = render(one.inventory, fmt)
    assert render(inventories(ref)[0].inventory, fmt) == first
    out = tmp_path / "again"
    code = (
        "import sys; from hardbake.sbom import inventories, render; "
        f"sys.stdout.buffer.write(render(inventories({ref!r})[0].inventory, {fmt!r}))"
    )
    env = {**os.environ, "TZ": "Pacific/Kiritimati", "PYTHONPATH": os.pathsep.join(sys.path)}
    out.write_bytes(
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True).stdout
    )
    assert out.read_bytes() == first


def test_identity_is_the_manifest_digest_only_where_stored(img: Image, save: Callable[..., str]) -> None:
    (from_layout,) = inventories(save(img, "oci"))
    (from_archive,) = inventories(save(img, "archive"))
    assert from_layout.inventory.image.manifest_digest == str(img.digest())
    assert from_archive.inventory.image.manifest_digest is None
    assert (
        from_archive.inventory.image.image_id
        == from_layout.inventory.image.image_id
        == str(img.config_digest())
    )
    assert from_layout.inventory.packages == from_archive.inventory.packages
    assert from_layout.inventory.image.created == EPOCH
