"""An image inventory (`hardbake.sbom`) as the scanner's `ScanTarget`.

- Every package the inventory found becomes an `InstalledPackage` (deb: binary and source
  name and version; its layer's diff_id and index; the file it was read from).
- A language package installed by an OS package (a `python3-yaml` deb's dist-info) is left
  to the OS package: Debian's tracker covers it under the source package, and matching it
  again through PyPI advisories would report fixes Debian backported as open. The count of
  such packages is in `extra["owned_skipped"]`.
- `ecosystems` is every ecosystem the inventory looked at, so an ecosystem with no feed in
  the DB is reported "not covered", never "0 vulnerabilities".
- `distro` is hardbake's distro name when os-release names a Debian release hardbake knows
  (`debian-12`); any other OS leaves it unset (deb packages are then not matched, and the
  report says so).
- `digest` is the manifest digest when the image's source stores it (OCI layout, registry):
  what VEX documents name images by. `repository` is the image name without tag.
"""

from __future__ import annotations

from hardbake import distro as distros
from hardbake.errors import InputError
from hardbake.oci.reference import RegistryRef
from hardbake.sbom.model import Inventory
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget


def _known_distro(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return distros.get(name).name
    except InputError:
        return None


def repository_of(name: str) -> str | None:
    """`registry/repo` of an image name like `hardbake/python:3.13`, or None."""
    try:
        return RegistryRef.parse(name).name
    except InputError:
        return None


def scan_target(inv: Inventory, *, ref: str | None = None, include_owned: bool = False) -> ScanTarget:
    """The `ScanTarget` of an inventory (see the module docstring)."""
    distro = _known_distro(inv.os.distro if inv.os else None)
    packages = []
    owned = 0
    for p in inv.packages:
        if p.owner and not include_owned:
            owned += 1
            continue
        eco = Ecosystem(p.ecosystem.value)
        packages.append(
            InstalledPackage(
                ecosystem=eco,
                name=p.name,
                version=p.version,
                source=p.source if eco in (Ecosystem.deb, Ecosystem.apk) else None,
                source_version=p.source_version if eco in (Ecosystem.deb, Ecosystem.apk) else None,
                distro=distro if eco is Ecosystem.deb else None,
                arch=p.arch,
                purl=p.purl,
                layer_digest=p.layer_diff_id,
                layer_index=p.layer,
                path=p.found_at,
            )
        )
    extra = {"platform": inv.image.platform, "owned_skipped": str(owned)}
    if inv.image.image_id:
        extra["image_id"] = inv.image.image_id
    return ScanTarget(
        ref=ref or inv.image.name,
        packages=tuple(packages),
        ecosystems=frozenset(Ecosystem(e.value) for e in inv.ecosystems),
        digest=inv.image.manifest_digest,
        distro=distro,
        repository=repository_of(inv.image.name),
        extra=extra,
    )
