"""Image manifests and indexes (OCI image-spec manifest.md, image-index.md), Docker v2 too.

`Manifest` covers images and OCI 1.1 artifacts (`artifactType`, the empty config, `subject`);
`Index` covers OCI indexes and Docker manifest lists. Both parse what others wrote (keeping
the raw bytes is the caller's job: a digest is over bytes, not over this model) and write
canonical JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hardbake.oci import canonical
from hardbake.oci import mediatype as mt
from hardbake.oci.descriptor import Descriptor, check_media_type, string_map
from hardbake.oci.digest import Digest
from hardbake.oci.errors import ImageError

#: The descriptor of the empty config `{}` (OCI 1.1 "empty descriptor").
EMPTY_CONFIG = Descriptor(mt.OCI_EMPTY, Digest.from_bytes(mt.EMPTY_JSON), len(mt.EMPTY_JSON))


def _schema2(obj: dict[str, Any], what: str) -> None:
    if obj.get("schemaVersion") != 2:
        if obj.get("schemaVersion") == 1:
            raise ImageError(
                f"{what}: Docker schema 1 manifests are not supported",
                hint="re-push the image with a current Docker or skopeo, which writes schema 2",
            )
        raise ImageError(f"{what}: schemaVersion must be 2, found {obj.get('schemaVersion')!r}")


def _subject(obj: dict[str, Any], what: str) -> Descriptor | None:
    s = obj.get("subject")
    return None if s is None else Descriptor.from_json(s, f"{what} subject")


def _common_json(
    media_type: str, annotations: Mapping[str, str], subject: Descriptor | None, artifact_type: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"schemaVersion": 2, "mediaType": media_type}
    if annotations:
        out["annotations"] = dict(annotations)
    if subject is not None:
        out["subject"] = subject.to_json()
    if artifact_type:
        out["artifactType"] = artifact_type
    return out


@dataclass(frozen=True)
class Manifest:
    """An image manifest: a config descriptor and ordered layer descriptors."""

    config: Descriptor
    layers: tuple[Descriptor, ...] = ()
    media_type: str = mt.OCI_MANIFEST
    annotations: Mapping[str, str] = field(default_factory=dict)
    subject: Descriptor | None = None
    artifact_type: str | None = None

    def __post_init__(self) -> None:
        if self.media_type not in mt.MANIFEST_TYPES:
            raise ImageError(f"manifest media type {self.media_type!r} is not an image manifest type")
        object.__setattr__(self, "annotations", dict(self.annotations))

    @property
    def is_artifact(self) -> bool:
        """Not a runnable image: an OCI 1.1 artifact (it says so, or its config is not an image
        config), or a manifest whose layers are not filesystem layers (cosign's `.sig`/`.att`
        images, BuildKit's attestation manifests: an image config with no platform)."""
        return (
            bool(self.artifact_type)
            or self.config.media_type not in mt.CONFIG_TYPES
            or any(mt.layer_compression(d.media_type) is None for d in self.layers)
        )

    def to_json(self) -> dict[str, Any]:
        out = _common_json(self.media_type, self.annotations, self.subject, self.artifact_type)
        out["config"] = self.config.to_json()
        out["layers"] = [d.to_json() for d in self.layers]
        return out

    def to_bytes(self) -> bytes:
        return canonical.dumps(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "manifest", media_type: str | None = None) -> Manifest:
        obj = canonical.loads_object(data, what)
        _schema2(obj, what)
        declared = obj.get("mediaType") or media_type or mt.OCI_MANIFEST
        check_media_type(declared, what)
        if declared not in mt.MANIFEST_TYPES:
            raise ImageError(f"{what}: media type {declared!r} is not an image manifest")
        if media_type and obj.get("mediaType") and media_type != obj["mediaType"]:
            raise ImageError(
                f"{what}: descriptor says {media_type!r} but the manifest says {obj['mediaType']!r}"
            )
        if "manifests" in obj:
            raise ImageError(f"{what}: has `manifests`: it is an index, not an image manifest")
        layers = obj.get("layers") or []
        if not isinstance(layers, list):
            raise ImageError(f"{what}: layers must be a list")
        if "config" not in obj:
            raise ImageError(f"{what}: no config descriptor")
        return cls(
            config=Descriptor.from_json(obj["config"], f"{what} config"),
            layers=tuple(Descriptor.from_json(d, f"{what} layer {i}") for i, d in enumerate(layers)),
            media_type=declared,
            annotations=string_map(obj.get("annotations"), f"{what} annotations"),
            subject=_subject(obj, what),
            artifact_type=obj.get("artifactType") or None,
        )


@dataclass(frozen=True)
class Index:
    """An image index / manifest list: descriptors of manifests (usually one per platform)."""

    manifests: tuple[Descriptor, ...] = ()
    media_type: str = mt.OCI_INDEX
    annotations: Mapping[str, str] = field(default_factory=dict)
    subject: Descriptor | None = None
    artifact_type: str | None = None

    def __post_init__(self) -> None:
        if self.media_type not in mt.INDEX_TYPES:
            raise ImageError(f"index media type {self.media_type!r} is not an index type")
        object.__setattr__(self, "annotations", dict(self.annotations))

    def to_json(self) -> dict[str, Any]:
        out = _common_json(self.media_type, self.annotations, self.subject, self.artifact_type)
        out["manifests"] = [d.to_json() for d in self.manifests]
        return out

    def to_bytes(self) -> bytes:
        return canonical.dumps(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "index", media_type: str | None = None) -> Index:
        obj = canonical.loads_object(data, what)
        _schema2(obj, what)
        declared = obj.get("mediaType") or media_type or mt.OCI_INDEX
        check_media_type(declared, what)
        if declared not in mt.INDEX_TYPES:
            raise ImageError(f"{what}: media type {declared!r} is not an image index")
        if "layers" in obj or "config" in obj:
            raise ImageError(f"{what}: has layers/config: it is an image manifest, not an index")
        manifests = obj.get("manifests")
        if not isinstance(manifests, list):
            raise ImageError(f"{what}: manifests must be a list")
        return cls(
            manifests=tuple(Descriptor.from_json(d, f"{what} manifest {i}") for i, d in enumerate(manifests)),
            media_type=declared,
            annotations=string_map(obj.get("annotations"), f"{what} annotations"),
            subject=_subject(obj, what),
            artifact_type=obj.get("artifactType") or None,
        )
