"""An SBOM inventory as the scanner's ScanTarget."""

from __future__ import annotations

from hardbake.sbom import Ecosystem, ImageInfo, Inventory, OsInfo, Package
from hardbake.vuln.interface import Ecosystem as VEco
from hardbake.vuln.target import scan_target

DIGEST = "sha256:" + "a" * 64
IMAGE_ID = "sha256:" + "b" * 64
LAYER = "sha256:" + "c" * 64


def _inv(os: OsInfo | None, manifest: str | None = DIGEST) -> Inventory:
    deb = Package(Ecosystem.deb, "python3-yaml", "6.0-3+b2", "pkg:deb/debian/python3-yaml@6.0-3%2Bb2?arch=amd64",
                  "/var/lib/dpkg/status", 0, LAYER, "amd64", "pyyaml", "6.0-3")  # fmt: skip
    owned = Package(
        Ecosystem.pypi,
        "PyYAML",
        "6.0",
        "pkg:pypi/pyyaml@6.0",
        "/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
        owner=deb.purl,
    )
    venv = Package(Ecosystem.pypi, "Jinja2", "2.10", "pkg:pypi/jinja2@2.10", "/opt/venv/x/METADATA", 1, LAYER)
    return Inventory(
        image=ImageInfo("registry.example/team/app:1", IMAGE_ID, "linux/amd64", 0, (LAYER,), manifest),
        packages=(deb, owned, venv),
        ecosystems=tuple(Ecosystem),
        os=os,
    )


def test_target_from_inventory() -> None:
    t = scan_target(_inv(OsInfo("debian", "12", "bookworm", distro="debian-12")), ref="oci:x:1")
    assert t.ref == "oci:x:1" and t.digest == DIGEST and t.distro == "debian-12"
    assert t.repository == "registry.example/team/app"
    assert t.ecosystems == frozenset(VEco(e.value) for e in Ecosystem)
    names = {(p.ecosystem, p.name) for p in t.packages}
    # the deb-owned dist-info is left to the deb (Debian's tracker covers it)
    assert names == {(VEco.deb, "python3-yaml"), (VEco.pypi, "Jinja2")}
    assert t.extra["owned_skipped"] == "1" and t.extra["image_id"] == IMAGE_ID
    deb = next(p for p in t.packages if p.ecosystem is VEco.deb)
    assert (deb.source, deb.source_version, deb.distro, deb.layer_digest, deb.layer_index) == (
        "pyyaml", "6.0-3", "debian-12", LAYER, 0,
    )  # fmt: skip
    jinja = next(p for p in t.packages if p.name == "Jinja2")
    assert jinja.distro is None and jinja.source is None and jinja.path == "/opt/venv/x/METADATA"
    assert len(scan_target(_inv(None), include_owned=True).packages) == 3


def test_unknown_os_leaves_distro_unset() -> None:
    t = scan_target(
        _inv(OsInfo("ubuntu", "24.04", "noble", id_like=("debian",), distro="ubuntu-24.04"), None)
    )
    assert t.distro is None and t.digest is None
    assert all(p.distro is None for p in t.packages)
