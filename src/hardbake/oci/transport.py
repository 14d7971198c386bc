"""One entry point per direction over every transport: `open_image`, `open_any`, `write_image`.

The dispatch is an exhaustive `match` over `hardbake.oci.reference.ImageRef`: adding a
transport there makes mypy point here. Registry references are the seam for the registry
client (not written yet): they fail with a clear error until it exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, assert_never

from hardbake.errors import InputError
from hardbake.oci import archive, daemon, layout
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.errors import ImageError
from hardbake.oci.image import Image, ImageIndex
from hardbake.oci.platform import Platform
from hardbake.oci.reference import ArchiveRef, DaemonRef, ImageRef, LayoutRef, RegistryRef


def _no_registry(ref: RegistryRef) -> InputError:
    return InputError(
        f"{ref}: the registry client is not available yet",
        hint=f"pull it with `docker pull {ref.familiar}` and use docker-daemon:{ref.familiar}, "
        "or `skopeo copy docker://... oci:DIR:TAG` and use oci:DIR:TAG",
    )


def open_any(ref: ImageRef, *, engine: Any = None, tmp_dir: Path | None = None) -> Image | ImageIndex:
    """The image or index `ref` names, as stored (an index stays an index)."""
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
            raise _no_registry(ref)
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
    ref: ImageRef, platform: Platform | None = None, *, engine: Any = None, tmp_dir: Path | None = None
) -> Image:
    """A single-platform image from any transport (index -> `platform`, default the host's).

    `engine` is a docker SDK client for `docker-daemon:` (made from the environment if
    omitted). Close the result, or use it as a context manager, to release temporary files.
    """
    return select(open_any(ref, engine=engine, tmp_dir=tmp_dir), platform)


def write_image(
    obj: Image | ImageIndex,
    ref: ImageRef,
    *,
    platform: Platform | None = None,
    engine: Any = None,
    tmp_dir: Path | None = None,
) -> Descriptor:
    """Write an image or index to `ref`; returns the descriptor of what was written.

    An OCI layout takes indexes and artifacts as they are (tagged with the ref's tag, if
    any). docker-archive and docker-daemon hold one image: an index contributes the image
    for `platform` (default: this host's).
    """
    match ref:
        case LayoutRef():
            return layout.write(ref.path, obj, tags=(ref.tag,) if ref.tag else ())
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
            raise _no_registry(ref)
        case _:
            assert_never(ref)
