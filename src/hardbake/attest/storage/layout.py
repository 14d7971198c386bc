"""The OCI image layout backend: signatures and attestations stored beside the image in `DIR`.

What `cosign.py` writes through this store lands in the layout exactly as it would in a
registry, so pushing the layout (with its referrers) leaves what `cosign verify --key` reads:

- the cosign tags (`sha256-<hex>.sig`, `.att`) are `org.opencontainers.image.ref.name`
  entries of `index.json`;
- OCI 1.1 referrers (artifact manifests with a `subject`) are untagged entries of
  `index.json`, found again by `Layout.referrers(subject)`; a layout needs no fallback
  index, it lists its manifests itself.

Blobs are content-addressed files (`blobs/sha256/<hex>`), written atomically; `index.json`
is replaced atomically under the layout's lock, after the blobs it names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hardbake.attest.storage.interface import ArtifactStore, StoredManifest
from hardbake.errors import InputError
from hardbake.oci import layout
from hardbake.oci import mediatype as mt
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import ImageError
from hardbake.oci.manifest import Index, Manifest


def _media_type(data: bytes, what: str) -> str:
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise ImageError(f"{what} is not JSON: {e}") from e
    declared = doc.get("mediaType") if isinstance(doc, dict) else None
    if isinstance(declared, str):
        return declared
    if isinstance(doc, dict) and "manifests" in doc:
        return mt.OCI_INDEX
    return mt.OCI_MANIFEST


class LayoutStore(ArtifactStore):
    """An existing OCI image layout, as one repository named `identity`.

    `identity` is what cosign's simple-signing payload calls the image
    (`critical.identity.docker-reference`): the name the image will be published under,
    e.g. `registry.example/team/app`. cosign checks the digest in that payload, not the name,
    so a signature made here stays valid wherever the image is pushed.
    """

    def __init__(self, root: Path, identity: str | None = None) -> None:
        self.layout = layout.Layout(root)
        self._identity = identity or f"oci:{Path(root).resolve().name}"

    @property
    def identity(self) -> str:
        return self._identity

    def _by_digest(self, digest: Digest, size: int | None, media_type: str | None) -> StoredManifest | None:
        if not self.layout.blobs.has(digest, size):
            return None
        what = f"manifest {digest} in {self.layout.root}"
        data = self.layout.blobs.read_bytes(digest, size, what)  # verified against the digest
        return StoredManifest(data, media_type or _media_type(data, what), str(digest))

    def find_manifest(self, reference: str) -> StoredManifest | None:
        if reference.startswith("sha256:"):
            return self._by_digest(Digest.parse(reference), None, None)
        entry = self.layout.tags().get(reference)
        if entry is None:
            return None
        return self._by_digest(entry.digest, entry.size, entry.media_type)

    def fetch_blob(self, digest: str) -> bytes:
        return self.layout.blobs.read_bytes(
            Digest.parse(digest), None, f"blob {digest} in {self.layout.root}"
        )

    def verify_blob(self, digest: str) -> None:
        with self.layout.blobs.open(Digest.parse(digest), None, f"blob {digest} in {self.layout.root}") as f:
            while f.read(1 << 20):
                pass

    def has_blob(self, digest: str) -> bool:
        return self.layout.blobs.has(Digest.parse(digest))

    def push_blob(self, data: bytes) -> dict[str, Any]:
        return {"digest": str(self.layout.blobs.write_bytes(data)), "size": len(data)}

    def push_manifest(self, data: bytes, media_type: str, tag: str | None = None) -> StoredManifest:
        what = "manifest to store"
        desc = self._descriptor(data, media_type, what)
        for d in self._named_blobs(data, media_type, what):
            if not self.layout.blobs.has(d.digest, d.size):
                raise InputError(
                    f"{self.layout.root}: manifest {desc.digest} names blob {d.digest}, which is not stored",
                    hint="store a manifest's blobs before the manifest",
                )
        self.layout.blobs.write_bytes(data)
        self.layout.record(desc, (tag,) if tag else ())
        return StoredManifest(data, media_type, str(desc.digest))

    def _descriptor(self, data: bytes, media_type: str, what: str) -> Descriptor:
        digest = Digest.from_bytes(data)
        if mt.is_index(media_type):
            idx = Index.from_bytes(data, what, media_type)
            return Descriptor(media_type, digest, len(data), {}, None, idx.artifact_type)
        m = Manifest.from_bytes(data, what, media_type)
        at = m.artifact_type or (m.config.media_type if m.config.media_type not in mt.CONFIG_TYPES else None)
        return Descriptor(media_type, digest, len(data), {}, None, at)

    def _named_blobs(self, data: bytes, media_type: str, what: str) -> list[Descriptor]:
        if mt.is_index(media_type):
            return list(Index.from_bytes(data, what, media_type).manifests)
        m = Manifest.from_bytes(data, what, media_type)
        return [m.config, *m.layers]

    def referrers(self, digest: str, artifact_type: str | None = None) -> list[dict[str, Any]]:
        return [d.to_json() for d in self.layout.referrers(Digest.parse(digest), artifact_type)]

    def default_reference(self) -> str:
        """The digest of the layout's only image (for `oci:DIR` without a tag)."""
        return str(self.layout.get(None).digest())
