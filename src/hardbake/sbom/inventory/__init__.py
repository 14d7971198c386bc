"""The inventory of any image: every package of every ecosystem, in one streaming pass.

    from hardbake.sbom.inventory import take_inventory
    with open_image(parse_image_ref("docker-archive:app.tar")) as image:
        inv = take_inventory(image, name="app:1")

`CATALOGERS` is the explicit, exhaustive list of ecosystems (one module each); the
inventory records every ecosystem it looked at, found or not. Language packages whose
metadata file an OS package lists (a `python3-yaml` deb's dist-info) get that package's purl
as their `owner`.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import replace
from typing import BinaryIO, ClassVar

from hardbake.oci.filesystem import FileInfo
from hardbake.oci.image import Image
from hardbake.sbom import osrelease
from hardbake.sbom.inventory.apk import ApkCataloger
from hardbake.sbom.inventory.collect import Collected, collect
from hardbake.sbom.inventory.dpkg import DpkgCataloger
from hardbake.sbom.inventory.go import GoCataloger
from hardbake.sbom.inventory.interface import (
    Cataloger,
    Context,
    FileReader,
    Found,
    Unreadable,
    bounded_read,
)
from hardbake.sbom.inventory.java import JavaCataloger
from hardbake.sbom.inventory.npm import NpmCataloger
from hardbake.sbom.inventory.python import PythonCataloger
from hardbake.sbom.model import Ecosystem, ImageInfo, Inventory, OsInfo, Package

#: One cataloger per ecosystem, in the order a file is offered to them.
CATALOGERS: dict[Ecosystem, type[Cataloger]] = {
    Ecosystem.deb: DpkgCataloger,
    Ecosystem.apk: ApkCataloger,
    Ecosystem.pypi: PythonCataloger,
    Ecosystem.npm: NpmCataloger,
    Ecosystem.maven: JavaCataloger,
    Ecosystem.golang: GoCataloger,
}
_OS_CATALOGERS = (Ecosystem.deb, Ecosystem.apk)


class OsReleaseReader(FileReader):
    name: ClassVar[str] = "os-release"

    def wants(self, info: FileInfo) -> bool:
        return info.path in osrelease.PATHS

    def read(self, info: FileInfo, stream: BinaryIO) -> object:
        return osrelease.parse(bounded_read(stream, info, 64 << 10))


def created_epoch(image: Image) -> int:
    """The config's `created` as seconds since the epoch (0 when absent or unparsable)."""
    created = image.config().created
    if not created:
        return 0
    try:
        dt = _dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.UTC)
    return int(dt.timestamp())


def image_info(image: Image, name: str, manifest_digest: str | None) -> ImageInfo:
    return ImageInfo(
        name=name,
        image_id=str(image.config_digest()),
        platform=str(image.platform()),
        created=created_epoch(image),
        layers=tuple(str(layer.diff_id()) for layer in image.layers()),
        manifest_digest=manifest_digest,
    )


def _os(collected: Collected, ctx: Context) -> OsInfo | None:
    found = collected.found["os-release"]
    for path in osrelease.PATHS:
        e = ctx.resolve(path)
        if e is not None and e.path in found:
            return osrelease.os_info(found[e.path].result)  # type: ignore[arg-type]
    return None


def inventory_from(
    collected: Collected,
    info: ImageInfo,
    catalogers: Sequence[Cataloger],
) -> Inventory:
    """Packages from what `collect` read (see `take_inventory`)."""
    ctx = Context(collected.fs, None, info.layers)
    ctx.os = _os(collected, ctx)
    packages: list[Package] = []
    warnings = list(collected.warnings)
    owners: dict[str, str] = {}
    for c in catalogers:
        result = c.packages(collected.found.get(c.name, {}), ctx)
        packages += result.packages
        warnings += result.warnings
        for path, owner in result.owners.items():
            owners.setdefault(path, owner)
    if owners:
        packages = [
            replace(p, owner=owners.get(p.found_at.lstrip("/")))
            if p.ecosystem not in _OS_CATALOGERS and "!" not in p.found_at
            else p
            for p in packages
        ]
    return Inventory(
        image=info,
        packages=tuple(packages),
        ecosystems=tuple(c.ecosystem for c in catalogers),
        os=ctx.os,
        origin="image",
        warnings=tuple(warnings),
    )


def take_inventory(
    image: Image,
    *,
    name: str,
    manifest_digest: str | None = None,
    ecosystems: Sequence[Ecosystem] | None = None,
    extra: Sequence[FileReader] = (),
) -> tuple[Inventory, Collected]:
    """Read `image` once and list its packages.

    `name` names the image in documents; `manifest_digest` only when the source stores the
    manifest (an OCI layout or a registry) — see `ImageInfo`. `ecosystems` limits the
    catalogers (default: all). `extra` readers read more files in the same pass (the
    `vex` verb reads changelogs this way); their results are in the returned `Collected`.
    """
    chosen = [CATALOGERS[e]() for e in (ecosystems or tuple(CATALOGERS))]
    readers: list[FileReader] = [OsReleaseReader(), *chosen, *extra]
    info = image_info(image, name, manifest_digest)
    collected = collect(image, readers)
    return inventory_from(collected, info, chosen), collected


__all__ = [
    "CATALOGERS",
    "Cataloger",
    "Collected",
    "Context",
    "FileReader",
    "Found",
    "Unreadable",
    "image_info",
    "inventory_from",
    "take_inventory",
]
