"""The SBOMs of a build: computed from the lock and the files really in the image (one SPDX
and one CycloneDX document per architecture), kept with the build's summary, and stored in
every OCI layout the build writes as OCI 1.1 artifacts whose `subject` is the image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hardbake.build.assemble import Assembled
from hardbake.build.devimage import _relocated
from hardbake.debian.lock import ArchLock
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.image import Image, ImageIndex
from hardbake.sbom.attach import attach_documents
from hardbake.sbom.buildtime import build_sboms
from hardbake.sbom.cyclonedx import MEDIA_TYPE as CYCLONEDX
from hardbake.sbom.spdx import MEDIA_TYPE as SPDX


def _os_release(a: Assembled) -> dict[str, str]:
    node = a.fs.resolve("etc/os-release")
    out: dict[str, str] = {}
    if node is not None and node.data is not None:
        for line in node.data.decode(errors="replace").splitlines():
            k, sep, v = line.partition("=")
            if sep:
                out[k] = v.strip().strip('"')
    return out


def documents(a: Assembled, lock: ArchLock, image: Image, image_name: str) -> dict[str, str]:
    copyrights = {}
    for p in lock.packages:
        node = a.fs.get(_relocated(f"usr/share/doc/{p.name}/copyright"))
        if node is not None and node.data is not None:
            copyrights[p.name] = node.data
    sboms = build_sboms(
        lock,
        a.presence,
        image_name=image_name,
        image_digest=str(image.digest()),
        platform=image.platform(),
        source_date_epoch=a.epoch,
        os_release=_os_release(a),
        copyrights=copyrights,
    )
    return {"digest": str(image.digest()), "spdx": sboms.spdx.decode(), "cyclonedx": sboms.cyclonedx.decode()}


def _descriptor(top: Image | ImageIndex, digest: str) -> Descriptor:
    if isinstance(top, Image):
        return top.descriptor()
    for desc, _child in top.children():
        if str(desc.digest) == digest:
            return desc
    raise KeyError(digest)


def attach(layout_dir: Path, top: Image | ImageIndex, docs: list[dict[str, Any]], epoch: int) -> int:
    for d in docs:
        attach_documents(
            layout_dir,
            _descriptor(top, d["digest"]),
            {SPDX: d["spdx"].encode(), CYCLONEDX: d["cyclonedx"].encode()},
            created=epoch,
        )
    return len(docs)
