"""The standard mmdebstrap image (minbase + python3, bookworm): the SBOM lists exactly what
`dpkg-query` inside the running image lists."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from hardbake.sbom import Ecosystem, inventories, render
from hardbake.testing.standard import StandardImage

pytestmark = [pytest.mark.docker, pytest.mark.online, pytest.mark.slow]


def _dpkg_query(name: str) -> set[tuple[str, str, str]]:
    out = subprocess.run(
        [
            "docker", "run", "--rm", "--network", "none", name,
            "dpkg-query", "-W", "-f", "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n",
        ],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    rows = [line.split("\t") for line in out.splitlines()]
    return {(p, v, a) for p, v, a, status in rows if status.startswith("ii")}


def test_sbom_equals_dpkg_inside(std_python: StandardImage) -> None:
    (one,) = inventories(std_python.archive_ref)
    inv = one.inventory
    debs = inv.by_ecosystem(Ecosystem.deb)
    inside = _dpkg_query(std_python.name)
    assert len(debs) == len(inside) > 100
    assert {(p.name, p.version, p.arch) for p in debs} == inside
    assert inv.os is not None and inv.os.distro == "debian-12"
    libc = next(p for p in debs if p.name == "libc6")
    assert (
        libc.source == "glibc"
        and libc.purl.startswith("pkg:deb/debian/libc6@")
        and "distro=debian-12" in libc.purl
    )
    assert all(p.presence == "complete" and p.files and p.files == p.files_present for p in debs)
    with_licence = [p for p in debs if p.licenses.known]
    assert len(with_licence) > 0.6 * len(debs)  # DEP-5 copyright files; the rest are free-form
    assert next(p for p in debs if p.name == "bash").licenses.declared[0] == "GPL-3+"


def test_daemon_and_archive_agree(std_python: StandardImage) -> None:
    (from_archive,) = inventories(std_python.archive_ref)
    (from_daemon,) = inventories(std_python.daemon_ref)
    assert from_daemon.inventory.packages == from_archive.inventory.packages
    assert from_daemon.inventory.image.image_id == from_archive.inventory.image.image_id


def test_documents_validate(std_python: StandardImage, tmp_path: Path) -> None:
    (one,) = inventories(std_python.archive_ref)
    spdx = tmp_path / "std.spdx.json"
    spdx.write_bytes(render(one.inventory, "spdx-json"))
    assert validate_full_spdx_document(parse_file(str(spdx))) == []
    cdx = render(one.inventory, "cyclonedx-json").decode()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(cdx) is None
    assert len(json.loads(cdx)["components"]) == len(one.inventory.packages) + 1
