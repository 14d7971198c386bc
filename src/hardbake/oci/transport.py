"""One entry point per direction over every transport: `open_image`, `open_any`, `write_image`.

The dispatch is an exhaustive `match` over `hardbake.oci.reference.ImageRef`: adding a
transport there makes mypy point here. Registry references go to `hardbake.oci.remote`;
`access` (a `RegistryAccess`) says how to reach registries, and when it is omitted one is
made from the environment (`~/.docker/config.json` credentials, http only for loopback) and
owned by the image returned (closing the image closes it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, assert_never

from hardbake.oci import archive, daemon, layout, remote
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.errors import ImageError
from hardbake.oci.image import Image, ImageIndex
from hardbake.oci.platform import Platform
from hardbake.oci.progress import TransferProgress
from hardbake.oci.reference import ArchiveRef, DaemonRef, ImageRef, LayoutRef, RegistryRef


def open_any(
    ref: ImageRef,
    *,
    engine: Any = None,
    tmp_dir: Path | None = None,
    access: remote.RegistryAccess | None = None,
) -> Image | ImageIndex:
    """The image or index `ref` names, as stored (an index stays an index).

    A registry image keeps the blobs it has read whole in a temporary directory under
    `tmp_dir` until it is closed, so a second pass over its layers does not download again."""
    match ref:
        case LayoutRef():
            return layout.read(ref.path, ref.tag)
        case ArchiveRef():
            return archive.read(ref.path, ref.name, tmp_dir=tmp_dir)
        case DaemonRef():
            return daemon.read(
                ref.ref, engine=engine if engine is not None else daemon.connect(), tmp_dir=tmp_dir
            )
        case RegistryRef():
            if access is None:
                return remote.read(
                    ref, remote.RegistryAccess(), owns_access=True, cache=True, tmp_dir=tmp_dir
                )
            return remote.read(ref, access, cache=True, tmp_dir=tmp_dir)
        case _:
            assert_never(ref)


def select(obj: Image | ImageIndex, platform: Platform | None) -> Image:
    """One image: from an index the one for `platform` (default: this host's), and a
    single image only if it is for `platform` (when one is asked for)."""
    if isinstance(obj, ImageIndex):
        return obj.image(platform or Platform.host())
    if platform is not None and not obj.is_artifact() and not obj.platform().matches(platform):
        raise ImageError(
            f"{obj} is for {obj.platform()}, not {platform}", hint="drop --platform or name another image"
        )
    return obj


def open_image(
    ref: ImageRef,
    platform: Platform | None = None,
    *,
    engine: Any = None,
    tmp_dir: Path | None = None,
    access: remote.RegistryAccess | None = None,
) -> Image:
    """A single-platform image from any transport (index -> `platform`, default the host's).

    `engine` is a docker SDK client for `docker-daemon:` (made from the environment if
    omitted); `access` says how to reach registries. Close the result, or use it as a
    context manager, to release temporary files and connections.
    """
    obj = open_any(ref, engine=engine, tmp_dir=tmp_dir, access=access)
    try:
        image = select(obj, platform)
    except BaseException:
        obj.close()
        raise
    if image is not obj and isinstance(obj, remote.RemoteIndex):
        obj.hand_over(image)  # the index is dropped: the image releases what they shared
    return image


def write_image(
    obj: Image | ImageIndex,
    ref: ImageRef,
    *,
    platform: Platform | None = None,
    engine: Any = None,
    tmp_dir: Path | None = None,
    access: remote.RegistryAccess | None = None,
    progress: TransferProgress | None = None,
    workers: int = 4,
) -> Descriptor:
    """Write an image or index to `ref`; returns the descriptor of what was written.

    An OCI layout and a registry take indexes and artifacts as they are (tagged with the
    ref's tag, if any; a registry ref by digest must name the digest the object has).
    docker-archive and docker-daemon hold one image: an index contributes the image for
    `platform` (default: this host's). Layouts and registries move `workers` blobs at a
    time and report each to `progress`.
    """
    match ref:
        case LayoutRef():
            tags = (ref.tag,) if ref.tag else ()
            return layout.write(ref.path, obj, tags=tags, progress=progress, workers=workers)
        case ArchiveRef():
            image = select(obj, platform)
            archive.write(ref.path, image, tags=(ref.name,) if ref.name else ())
            return image.descriptor()
        case DaemonRef():
            image = select(obj, platform)
            daemon.write(
                image, ref.ref, engine=engine if engine is not None else daemon.connect(), tmp_dir=tmp_dir
            )
            return image.descriptor()
        case RegistryRef():
            if access is None:
                with remote.RegistryAccess(workers=workers) as own:
                    return remote.write(obj, ref, own, progress=progress, tmp_dir=tmp_dir)
            return remote.write(obj, ref, access, progress=progress, tmp_dir=tmp_dir)
        case _:
            assert_never(ref)
