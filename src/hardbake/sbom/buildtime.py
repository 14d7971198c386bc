"""The SBOMs `hardbake build` writes for each architecture: from the lock and the files kept.

An image hardbake builds is known exactly: every package comes from the lock (name,
version, source, sha256 of the .deb, suite), and the assembler knows how many of each
package's files survived the filters (`PackagePresence`). So the build-time SBOM does not
guess from the image:

- a package with every file filtered out is not claimed present: it is listed as excluded
  ("locked, but every file of it was filtered out of the image");
- a partially kept package is present with `presence: partial` and the file counts;
- a spec `drop:` that cut dependencies is listed as excluded with the spec's reason and the
  packages whose dependency was cut.

`copyrights` (package -> bytes of /usr/share/doc/<pkg>/copyright as the image holds it)
adds DEP-5 licences; `layers` (package -> (layer index, diff_id)) the layer of each package.

Example, per architecture, after the image manifest exists:

    sboms = build_sboms(lock, assembled.presence, image_name="hardbake/python:3.13",
                        image_digest=str(image.digest()), platform=image.platform(),
                        source_date_epoch=epoch, os_release=fields)
    attach_sboms(layout_dir, image.descriptor(), sboms)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from hardbake.debian.lock import ArchLock
from hardbake.debian.resolve import CutEdge
from hardbake.errors import InputError
from hardbake.oci.platform import Platform
from hardbake.sbom import dep5, exclusions, licenses, osrelease, purl
from hardbake.sbom.cyclonedx import render as render_cyclonedx
from hardbake.sbom.model import Ecosystem, ImageInfo, Inventory, Licenses, Package
from hardbake.sbom.spdx import render as render_spdx

STATUS_D = "/var/lib/dpkg/status.d"


class Presence(Protocol):
    """What the assembler knows of one package (hardbake.build.dpkgdb.PackagePresence)."""

    @property
    def name(self) -> str: ...

    @property
    def files_shipped(self) -> int: ...

    @property
    def files_kept(self) -> int: ...


@dataclass(frozen=True)
class BuildSboms:
    inventory: Inventory
    spdx: bytes
    cyclonedx: bytes


def _licenses(copyright_file: bytes | None) -> Licenses:
    if not copyright_file:
        return Licenses()
    declared = dep5.declared_licenses(copyright_file)
    return licenses.combine(declared) if declared else Licenses()


def build_inventory(
    lock: ArchLock,
    presence: Sequence[Presence],
    *,
    image_name: str,
    image_digest: str,
    platform: Platform | str,
    source_date_epoch: int,
    os_release: Mapping[str, str],
    image_id: str | None = None,
    cuts: Sequence[CutEdge] | None = None,
    drops: Mapping[str, str] | None = None,
    copyrights: Mapping[str, bytes] | None = None,
    layers: Mapping[str, tuple[int, str]] | None = None,
) -> Inventory:
    """The inventory of one architecture's image, from its lock (see the module docstring)."""
    os = osrelease.os_info(dict(os_release))
    distro = os.distro if os is not None else None
    by_name = {p.name: p for p in presence}
    missing = [p.name for p in lock.packages if p.name not in by_name]
    if missing:
        raise InputError(
            f"build SBOM: no presence recorded for locked package(s) {', '.join(missing[:10])}",
            hint="pass the PackagePresence list of this architecture's assembly",
        )
    packages = []
    kept: list[str] = []
    for lp in lock.packages:
        pres = by_name[lp.name]
        if pres.files_kept == 0:
            continue
        kept.append(lp.name)
        layer = (layers or {}).get(lp.name)
        packages.append(
            Package(
                ecosystem=Ecosystem.deb,
                name=lp.name,
                version=lp.version,
                purl=purl.deb(lp.name, lp.version, lp.arch, "debian", distro),
                found_at=f"{STATUS_D}/{lp.name}",
                layer=layer[0] if layer else None,
                layer_diff_id=layer[1] if layer else None,
                arch=lp.arch,
                source=lp.source,
                source_version=lp.source_version,
                licenses=_licenses((copyrights or {}).get(lp.name)),
                files=pres.files_shipped,
                files_present=pres.files_kept,
                presence="partial" if pres.files_kept < pres.files_shipped else "complete",
                properties=(
                    ("hardbake:deb:repo", lp.repo),
                    ("hardbake:deb:sha256", lp.sha256),
                    ("hardbake:deb:suite", lp.suite),
                ),
            )
        )
    effective = replace(
        lock,
        cuts=tuple(cuts) if cuts is not None else lock.cuts,
        drops=dict(drops) if drops is not None else lock.drops,
    )
    info = ImageInfo(
        name=image_name,
        image_id=image_id,
        platform=str(platform),
        created=source_date_epoch,
        layers=tuple(d for _, d in sorted(set((layers or {}).values()))),
        manifest_digest=image_digest,
    )
    return Inventory(
        image=info,
        packages=tuple(packages),
        ecosystems=(Ecosystem.deb,),
        os=os,
        excluded=exclusions.from_lock(effective, kept, distro),
        origin="build",
    )


def build_sboms(
    lock: ArchLock,
    presence: Sequence[Presence],
    *,
    image_name: str,
    image_digest: str,
    platform: Platform | str,
    source_date_epoch: int,
    os_release: Mapping[str, str],
    image_id: str | None = None,
    cuts: Sequence[CutEdge] | None = None,
    drops: Mapping[str, str] | None = None,
    copyrights: Mapping[str, bytes] | None = None,
    layers: Mapping[str, tuple[int, str]] | None = None,
) -> BuildSboms:
    """SPDX 2.3 and CycloneDX 1.6 documents (bytes, validated) for one architecture's image.

    Same arguments, same bytes. `cuts`/`drops` default to the lock's own.
    """
    inv = build_inventory(
        lock,
        presence,
        image_name=image_name,
        image_digest=image_digest,
        platform=platform,
        source_date_epoch=source_date_epoch,
        os_release=os_release,
        image_id=image_id,
        cuts=cuts,
        drops=drops,
        copyrights=copyrights,
        layers=layers,
    )
    return BuildSboms(inv, render_spdx(inv), render_cyclonedx(inv))
