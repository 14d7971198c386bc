"""Copying an image between any two references, with its signatures, attestations and SBOMs.

`copy_image(src, dst, access=...)` is what `hardbake push`, `pull` and `copy` run:

1. The image (or the whole index: every platform manifest, every blob) goes through
   `hardbake.oci.transport.write_image`: a registry destination gets blobs checked,
   mounted or uploaded (chunked, resumable), a layout gets them streamed in and verified,
   several at a time either way. A registry source is read lazily, every blob checked
   against its digest before it is stored anywhere.
2. Then, for the top manifest and every manifest under it, what refers to it travels too,
   read from the source's `ArtifactStore` and written to the destination's:
   - cosign's tags `sha256-<hex>.sig`, `.att`, `.sbom` (what `cosign verify --key`
     reads). Copied byte for byte when the destination has no such tag; when it already
     has one (signed there by someone else), the source's layers are appended to it with
     `cosign.append_to_tag`, the same code signing uses, so no signature is lost;
   - OCI 1.1 referrers (artifact manifests whose `subject` is that digest), untagged; a
     registry without the referrers API gets the `sha256-<hex>` fallback index from the
     client, a layout lists them in index.json. Referrers of referrers follow (a signed
     SBOM), a few levels deep.

docker-archive and docker-daemon destinations cannot hold referrers: the image is copied
and the result says the referrers were left behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, assert_never

from hardbake.attest import cosign
from hardbake.attest.storage.interface import ArtifactStore, StoredManifest
from hardbake.attest.storage.layout import LayoutStore
from hardbake.attest.storage.registry import RegistryStore
from hardbake.oci import remote
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.image import Image, ImageIndex, walk
from hardbake.oci.platform import Platform
from hardbake.oci.progress import Tally, TransferProgress
from hardbake.oci.reference import ArchiveRef, DaemonRef, ImageRef, LayoutRef, RegistryRef
from hardbake.oci.registry import digests, mediatypes
from hardbake.oci.transport import open_any, select, write_image

#: cosign's tag suffixes: signatures, attestations, attached SBOMs.
COSIGN_SUFFIXES = (".sig", ".att", ".sbom")
_MAX_DEPTH = 3


@dataclass(frozen=True)
class CopiedReferrer:
    subject: str
    kind: str  # "tag" (cosign's scheme) or "referrer" (OCI 1.1)
    name: str  # the tag, or the artifact type
    digest: str
    merged: bool = False  # appended to a tag the destination already had

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CopyResult:
    source: str
    destination: str
    descriptor: Descriptor
    manifests: list[dict[str, Any]]
    blobs: Tally
    referrers: list[CopiedReferrer] = field(default_factory=list)
    referrers_skipped: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "digest": str(self.descriptor.digest),
            "mediaType": self.descriptor.media_type,
            "size": self.descriptor.size,
            "manifests": self.manifests,
            "blobs": self.blobs.to_json(),
            "referrers": [r.to_json() for r in self.referrers],
            "referrersSkipped": self.referrers_skipped,
            "seconds": round(self.seconds, 3),
        }


def store_for(ref: ImageRef, access: remote.RegistryAccess) -> ArtifactStore | None:
    """The artifact store of a registry repository or a layout; None where none can exist."""
    match ref:
        case RegistryRef():
            return RegistryStore(access.client(ref.registry), ref.repository, display=ref.registry)
        case LayoutRef():
            return LayoutStore(ref.path)
        case ArchiveRef() | DaemonRef():
            return None
        case _:
            assert_never(ref)


def _manifest_rows(obj: Image | ImageIndex) -> list[dict[str, Any]]:
    rows = []
    for node in walk(obj):
        row: dict[str, Any] = {"digest": str(node.digest()), "mediaType": node.media_type()}
        if isinstance(node, Image) and not node.is_artifact():
            row["platform"] = str(node.platform())
        rows.append(row)
    return rows


def copy_image(
    src: ImageRef,
    dst: ImageRef,
    *,
    access: remote.RegistryAccess,
    platform: Platform | None = None,
    referrers: bool = True,
    engine: Any = None,
    tmp_dir: Path | None = None,
    progress: TransferProgress | None = None,
    workers: int = 4,
) -> CopyResult:
    """Copy what `src` names to `dst` (every platform unless `platform` picks one), with its
    referrers unless `referrers=False`. Single-image destinations (docker-archive,
    docker-daemon) take the image for `platform`, default this host's."""
    start = time.monotonic()
    tally = Tally(progress or TransferProgress())
    if isinstance(src, RegistryRef):
        obj: Image | ImageIndex = remote.read(src, access, tmp_dir=tmp_dir)  # streamed, not cached
    else:
        obj = open_any(src, engine=engine, tmp_dir=tmp_dir, access=access)
    try:
        chosen: Image | ImageIndex = obj
        if platform is not None or isinstance(dst, ArchiveRef | DaemonRef):
            chosen = select(obj, platform)
        desc = write_image(
            chosen,
            dst,
            platform=platform,
            engine=engine,
            tmp_dir=tmp_dir,
            access=access,
            progress=tally,
            workers=workers,
        )
        rows = _manifest_rows(chosen)
    finally:
        obj.close()
    result = CopyResult(str(src), str(dst), desc, rows, tally)
    if referrers:
        source, target = store_for(src, access), store_for(dst, access)
        if source is None:
            result.referrers_skipped = f"{type(src).__name__} sources hold no signatures or referrers"
        elif target is None:
            result.referrers_skipped = f"{dst} cannot hold signatures or referrers; they were not copied"
        else:
            carrier = _Carrier(source, target)
            for row in rows:
                carrier.carry(row["digest"], 0)
            result.referrers = carrier.done
    result.seconds = time.monotonic() - start
    return result


class _Carrier:
    def __init__(self, src: ArtifactStore, dst: ArtifactStore) -> None:
        self.src, self.dst = src, dst
        self.done: list[CopiedReferrer] = []
        self._seen: set[str] = set()

    def carry(self, subject: str, depth: int) -> None:
        for suffix in COSIGN_SUFFIXES:
            tag = digests.tag_of(subject) + suffix
            found = self.src.find_manifest(tag)
            if found is not None:
                self._tag(subject, tag, found)
        for d in self.src.referrers(subject):
            digest = str(d.get("digest"))
            if digest in self._seen:
                continue
            self._seen.add(digest)
            found = self.src.find_manifest(digest)  # verified against its digest
            if found is None or (found.json().get("subject") or {}).get("digest") != subject:
                continue  # listed but gone, or the list lied: the manifest itself decides
            self._manifest(found, None)
            at = d.get("artifactType") or found.json().get("artifactType") or ""
            self.done.append(CopiedReferrer(subject, "referrer", str(at), found.digest))
            if depth < _MAX_DEPTH:
                self.carry(found.digest, depth + 1)

    def _tag(self, subject: str, tag: str, found: StoredManifest) -> None:
        self._blobs(found)
        existing = self.dst.find_manifest(tag)
        if existing is None or existing.digest == found.digest:
            self.dst.push_manifest(found.data, found.media_type, tag)
            self.done.append(CopiedReferrer(subject, "tag", tag, found.digest))
            return
        merged = existing
        for layer in cosign.layers_of(found):
            merged = cosign.append_to_tag(self.dst, tag, layer)
        self.done.append(CopiedReferrer(subject, "tag", tag, merged.digest, merged=True))

    def _manifest(self, found: StoredManifest, tag: str | None) -> None:
        """A manifest (or index, children first) with all its blobs, stored by digest or tag."""
        if mediatypes.is_index(found.media_type):
            for d in found.json().get("manifests") or []:
                child = self.src.resolve(str(d["digest"]))
                self._manifest(child, None)
        else:
            self._blobs(found)
        self.dst.push_manifest(found.data, found.media_type, tag)

    def _blobs(self, found: StoredManifest) -> None:
        doc = found.json()
        for d in [doc.get("config") or {}, *(doc.get("layers") or [])]:
            if "digest" in d and not self.dst.has_blob(str(d["digest"])):
                self.dst.push_blob(self.src.fetch_blob(str(d["digest"])))
