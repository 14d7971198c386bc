"""Descriptors (OCI image-spec descriptor.md): what a manifest or index says about a blob."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hardbake.errors import InputError
from hardbake.oci.digest import Digest
from hardbake.oci.errors import ImageError
from hardbake.oci.platform import Platform

# RFC 6838 type/subtype with an optional +suffix, as the descriptor spec requires
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")


def check_media_type(media_type: str, what: str) -> str:
    if not isinstance(media_type, str) or not _MEDIA_TYPE.match(media_type):
        raise ImageError(f"{what}: invalid media type {media_type!r}: expected TYPE/SUBTYPE")
    return media_type


def string_map(value: Any, what: str) -> dict[str, str]:
    """A JSON object of string values (annotations, labels); anything else is an ImageError."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ImageError(f"{what}: expected an object of string values")
    return dict(value)


@dataclass(frozen=True)
class Descriptor:
    """mediaType, digest and size of a blob, with the optional annotations, platform,
    artifactType and urls. Equality covers every field; hashing uses media type, digest
    and size only (annotations are a mapping)."""

    media_type: str
    digest: Digest
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    platform: Platform | None = None
    artifact_type: str | None = None
    urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_media_type(self.media_type, "descriptor")
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0:
            raise ImageError(
                f"descriptor {self.digest}: size must be a non-negative integer, not {self.size!r}"
            )
        if self.artifact_type is not None:
            check_media_type(self.artifact_type, f"descriptor {self.digest} artifactType")
        object.__setattr__(self, "annotations", dict(self.annotations))

    def __hash__(self) -> int:
        return hash((self.media_type, self.digest, self.size))

    @property
    def ref_name(self) -> str | None:
        """The `org.opencontainers.image.ref.name` annotation: a tag inside an OCI layout."""
        return self.annotations.get("org.opencontainers.image.ref.name")

    def with_annotations(self, annotations: Mapping[str, str]) -> Descriptor:
        """A copy with `annotations` merged over the existing ones."""
        return Descriptor(
            self.media_type,
            self.digest,
            self.size,
            {**self.annotations, **annotations},
            self.platform,
            self.artifact_type,
            self.urls,
        )

    def with_platform(self, platform: Platform | None) -> Descriptor:
        return Descriptor(
            self.media_type, self.digest, self.size, self.annotations, platform, self.artifact_type, self.urls
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": str(self.digest), "size": self.size}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.urls:
            out["urls"] = list(self.urls)
        return out

    @classmethod
    def from_json(cls, obj: Any, what: str) -> Descriptor:
        if not isinstance(obj, dict):
            raise ImageError(f"{what}: a descriptor must be an object, found {type(obj).__name__}")
        try:
            digest = Digest.parse(obj.get("digest", ""))
        except InputError as e:
            raise ImageError(f"{what}: {e.message}") from e
        size = obj.get("size")
        if not isinstance(size, int) or isinstance(size, bool):
            raise ImageError(f"{what}: descriptor {digest} has no integer size")
        urls = obj.get("urls") or []
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise ImageError(f"{what}: urls must be a list of strings")
        platform = obj.get("platform")
        return cls(
            media_type=check_media_type(obj.get("mediaType", ""), what),
            digest=digest,
            size=size,
            annotations=string_map(obj.get("annotations"), f"{what} annotations"),
            platform=Platform.from_json(platform, what) if platform is not None else None,
            artifact_type=obj.get("artifactType") or None,
            urls=tuple(urls),
        )
