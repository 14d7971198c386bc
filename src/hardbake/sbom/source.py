"""From an image reference to inventories: naming, platforms, the digest, a lock's exclusions.

- One inventory per platform: an index gives the image of each platform asked for (default:
  the host's; `all` every platform it lists); a single image only its own platform.
- The name documents carry: the reference's image name (`NAME:TAG`), else the first tag a
  docker-archive records, else the layout's tag or the file name.
- The manifest digest is used only where the transport stores the manifest (OCI layout,
  registry). A docker-archive or the Docker engine keep no manifest, so their images are
  named by their image ID (the config digest), which every transport agrees on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hardbake.debian.lock import ArchLock
from hardbake.errors import InputError
from hardbake.oci.image import Image, ImageIndex
from hardbake.oci.platform import Platform
from hardbake.oci.reference import ArchiveRef, DaemonRef, ImageRef, LayoutRef, RegistryRef, parse_image_ref
from hardbake.oci.transport import open_any, select
from hardbake.sbom import exclusions
from hardbake.sbom.inventory import Collected, FileReader, take_inventory
from hardbake.sbom.model import Ecosystem, Inventory

ALL = "all"


@dataclass(frozen=True)
class ImageInventory:
    ref: ImageRef
    platform: Platform
    inventory: Inventory
    collected: Collected


def image_name(ref: ImageRef, image: Image) -> str:
    match ref:
        case RegistryRef():
            return ref.familiar
        case DaemonRef():
            return ref.ref.familiar
        case ArchiveRef():
            if ref.name:
                return ref.name
            tags = getattr(image, "repo_tags", ())
            return str(tags[0]) if tags else Path(ref.path).name
        case LayoutRef():
            return f"{Path(ref.path).name}:{ref.tag}" if ref.tag else Path(ref.path).name
    return str(ref)


def stored_manifest_digest(ref: ImageRef, image: Image) -> str | None:
    if isinstance(ref, (LayoutRef, RegistryRef)):
        return str(image.digest())
    return None


def parse_platforms(text: str | None) -> tuple[Platform, ...] | str | None:
    """`--platform`: None (host), `all`, or one or more platforms."""
    if text is None or not text.strip():
        return None
    if text.strip() == ALL:
        return ALL
    return Platform.parse_list(text)


def _images(obj: Image | ImageIndex, platforms: tuple[Platform, ...] | str | None) -> list[Image]:
    if platforms == ALL:
        if isinstance(obj, ImageIndex):
            return [obj.image(p) for p in obj.platforms()]
        return [obj]
    if platforms is None or isinstance(platforms, str):
        return [select(obj, None)]
    return [select(obj, p) for p in platforms]


@contextmanager
def opened(ref_text: str | ImageRef, *, engine: Any = None) -> Iterator[tuple[ImageRef, Image | ImageIndex]]:
    ref = parse_image_ref(ref_text) if isinstance(ref_text, str) else ref_text
    obj = open_any(ref, engine=engine)
    try:
        yield ref, obj
    finally:
        obj.close()


def inventories(
    ref_text: str | ImageRef,
    platforms: tuple[Platform, ...] | str | None = None,
    *,
    engine: Any = None,
    lock: ArchLock | dict[str, ArchLock] | None = None,
    ecosystems: Sequence[Ecosystem] | None = None,
    extra: Sequence[FileReader] = (),
) -> list[ImageInventory]:
    """The inventory of each selected platform of the image `ref_text` names.

    `lock` (one ArchLock, or one per Debian architecture) adds what the lock left out on
    purpose (see `hardbake.sbom.exclusions`)."""
    out = []
    with opened(ref_text, engine=engine) as (ref, obj):
        for image in _images(obj, platforms):
            if image.is_artifact():
                raise InputError(f"{ref} is an artifact ({image.manifest().artifact_type}), not an image")
            inv, collected = take_inventory(
                image,
                name=image_name(ref, image),
                manifest_digest=stored_manifest_digest(ref, image),
                ecosystems=ecosystems,
                extra=extra,
            )
            arch_lock = _lock_for(lock, image.platform())
            if arch_lock is not None:
                present = [p.name for p in inv.by_ecosystem(Ecosystem.deb)]
                excluded = exclusions.from_lock(arch_lock, present, inv.os.distro if inv.os else None)
                inv = replace(inv, excluded=excluded)
            out.append(ImageInventory(ref, image.platform(), inv, collected))
    return out


def _lock_for(lock: ArchLock | dict[str, ArchLock] | None, platform: Platform) -> ArchLock | None:
    if lock is None or isinstance(lock, ArchLock):
        return lock
    try:
        arch = platform.debian_arch
    except InputError:
        return None
    return lock.get(arch)
