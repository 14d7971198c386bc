"""The read-only interfaces every source implements: `Layer`, `Image`, `ImageIndex`.

Modelled on go-containerregistry's v1.Image: small, immutable, lazy. A source implements a
small core and inherits the rest:

- `Image`: `raw_manifest()` and `_open_raw(descriptor)` (the stored bytes of a blob named
  by the manifest); everything else (parsed manifest, digest, verified config, layers,
  platform) is derived here. Sources whose bytes are not stored as the manifest says
  (docker-archive: uncompressed layers) override `layers()` / `open_blob()` too.
- `ImageIndex`: `raw_manifest()` and `child(descriptor)`.
- `Layer`: digest, size, diff_id, media type, and two verified streams.

Every stream handed out verifies what it promised (digest and size) when it reaches its end.
Objects that hold files or temporary directories release them in `close()`; use them as
context managers.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, TypeVar

from hardbake.oci import mediatype as mt
from hardbake.oci.blobs import SMALL_BLOB_LIMIT
from hardbake.oci.compression import open_uncompressed
from hardbake.oci.config import ImageConfig
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest, VerifyingReader
from hardbake.oci.errors import ImageError
from hardbake.oci.manifest import Index, Manifest
from hardbake.oci.platform import Platform

T = TypeVar("T")


def memo(obj: object, key: str, make: Callable[[], T]) -> T:
    """Compute once per object (objects are immutable, so a value never goes stale)."""
    cache: dict[str, object] = obj.__dict__.setdefault("_memo", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]  # type: ignore[return-value]


class _Closeable:
    def close(self) -> None:
        """Release files and temporary data this object holds (default: nothing)."""

    def __enter__(self) -> _Closeable:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Layer(abc.ABC):
    """A filesystem changeset: a (usually compressed) tar blob and its uncompressed digest."""

    @abc.abstractmethod
    def digest(self) -> Digest:
        """Digest of the blob as stored in a manifest (compressed)."""

    @abc.abstractmethod
    def size(self) -> int:
        """Size of the blob as stored in a manifest (compressed)."""

    @abc.abstractmethod
    def diff_id(self) -> Digest:
        """Digest of the uncompressed tar (the config's rootfs.diff_ids entry)."""

    @abc.abstractmethod
    def media_type(self) -> str: ...

    @abc.abstractmethod
    def compressed(self) -> BinaryIO:
        """The blob's bytes; digest and size are verified at end of stream."""

    def uncompressed(self) -> BinaryIO:
        """The tar stream; blob digest and diff_id are verified at end of stream."""
        what = f"layer {self.diff_id()}"
        raw = self.compressed()
        tar, _ = open_uncompressed(raw, what)
        return VerifyingReader(tar, self.diff_id(), None, f"{what} (uncompressed)")  # type: ignore[return-value]

    def descriptor(self) -> Descriptor:
        return Descriptor(self.media_type(), self.digest(), self.size())

    def local_path(self) -> Path | None:
        """The file holding the compressed blob, if it lives in one (see `Image.local_blob`)."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.diff_id()}>"


class Image(_Closeable, abc.ABC):
    """One image manifest (or OCI 1.1 artifact) and the blobs it names."""

    # -- the core a source implements ------------------------------------------------------
    @abc.abstractmethod
    def raw_manifest(self) -> bytes:
        """The manifest exactly as stored (its sha256 is the image digest)."""

    @abc.abstractmethod
    def _open_raw(self, desc: Descriptor) -> BinaryIO:
        """The stored bytes of a blob the manifest names (verification is done here)."""

    # -- derived ---------------------------------------------------------------------------
    def manifest(self) -> Manifest:
        return memo(self, "manifest", lambda: Manifest.from_bytes(self.raw_manifest(), f"manifest of {self}"))

    def digest(self) -> Digest:
        return memo(self, "digest", lambda: Digest.from_bytes(self.raw_manifest()))

    def media_type(self) -> str:
        return self.manifest().media_type

    def is_artifact(self) -> bool:
        return self.manifest().is_artifact

    def descriptor(self) -> Descriptor:
        """What an index (or index.json) says about this image: platform and artifactType too."""
        m = self.manifest()
        platform = None if m.is_artifact else self.platform()
        config_type = m.config.media_type if m.config.media_type not in mt.CONFIG_TYPES else None
        artifact_type = m.artifact_type or config_type
        return Descriptor(m.media_type, self.digest(), len(self.raw_manifest()), {}, platform, artifact_type)

    def open_blob(self, desc: Descriptor) -> BinaryIO:
        """A verifying stream over any blob the manifest names (config or layer)."""
        return VerifyingReader(self._open_raw(desc), desc.digest, desc.size, f"blob {desc.digest} of {self}")  # type: ignore[return-value]

    def local_blob(self, desc: Descriptor) -> Path | None:
        """A file holding exactly the stored bytes of `desc`, if this source has one (a layout,
        a blob store): sinks that need random access (chunked, resumable uploads) read it in
        place instead of copying it. Unverified: the receiver checks the digest."""
        return None

    def config_digest(self) -> Digest:
        """The config blob's digest: what Docker calls the image ID."""
        return self.manifest().config.digest

    def raw_config(self) -> bytes:
        def load() -> bytes:
            desc = self.manifest().config
            if desc.size > SMALL_BLOB_LIMIT:
                raise ImageError(f"config of {self}: {desc.size} bytes is too large")
            with self.open_blob(desc) as f:
                return f.read()

        return memo(self, "raw_config", load)

    def config(self) -> ImageConfig:
        def load() -> ImageConfig:
            if self.is_artifact():
                raise ImageError(f"{self} is an artifact ({self.manifest().artifact_type}), not an image")
            return ImageConfig.from_bytes(self.raw_config(), f"config of {self}")

        return memo(self, "config", load)

    def platform(self) -> Platform:
        return self.config().platform

    def layers(self) -> Sequence[Layer]:
        """The filesystem layers, bottom first, each paired with its diff_id."""

        def load() -> tuple[Layer, ...]:
            m, c = self.manifest(), self.config()
            if len(m.layers) != len(c.diff_ids):
                raise ImageError(
                    f"{self}: manifest lists {len(m.layers)} layers but the config has "
                    f"{len(c.diff_ids)} diff_ids"
                )
            for d in m.layers:
                if mt.layer_compression(d.media_type) is None:
                    raise ImageError(f"{self}: layer {d.digest} has non-layer media type {d.media_type!r}")
            return tuple(_ManifestLayer(self, d, diff) for d, diff in zip(m.layers, c.diff_ids, strict=True))

        return memo(self, "layers", load)

    def size(self) -> int:
        """Manifest + config + layers, as stored (what a registry would hold)."""
        m = self.manifest()
        return len(self.raw_manifest()) + m.config.size + sum(d.size for d in m.layers)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class _ManifestLayer(Layer):
    """A layer exactly as its image's manifest describes it."""

    def __init__(self, image: Image, desc: Descriptor, diff_id: Digest) -> None:
        self._image, self._desc, self._diff_id = image, desc, diff_id

    def digest(self) -> Digest:
        return self._desc.digest

    def size(self) -> int:
        return self._desc.size

    def diff_id(self) -> Digest:
        return self._diff_id

    def media_type(self) -> str:
        return self._desc.media_type

    def compressed(self) -> BinaryIO:
        return self._image.open_blob(self._desc)

    def local_path(self) -> Path | None:
        return self._image.local_blob(self._desc)


class ImageIndex(_Closeable, abc.ABC):
    """An index: a list of manifests (platforms of one image, or anything else)."""

    @abc.abstractmethod
    def raw_manifest(self) -> bytes: ...

    @abc.abstractmethod
    def child(self, desc: Descriptor) -> Image | ImageIndex:
        """The image or index a descriptor of this index names."""

    def index_manifest(self) -> Index:
        return memo(self, "index", lambda: Index.from_bytes(self.raw_manifest(), f"index of {self}"))

    def digest(self) -> Digest:
        return memo(self, "digest", lambda: Digest.from_bytes(self.raw_manifest()))

    def media_type(self) -> str:
        return self.index_manifest().media_type

    def descriptor(self) -> Descriptor:
        idx = self.index_manifest()
        return Descriptor(
            idx.media_type, self.digest(), len(self.raw_manifest()), {}, None, idx.artifact_type
        )

    def children(self) -> list[tuple[Descriptor, Image | ImageIndex]]:
        return [(d, self.child(d)) for d in self.index_manifest().manifests]

    def platforms(self) -> list[Platform]:
        return [d.platform for d in self.index_manifest().manifests if d.platform is not None]

    def image(self, platform: Platform) -> Image:
        """The image for `platform` (arm64 and arm64/v8 are the same, as in containerd)."""
        for d in self.index_manifest().manifests:
            if d.platform is not None and d.platform.matches(platform) and mt.is_manifest(d.media_type):
                child = self.child(d)
                assert isinstance(child, Image)
                return child
        have = ", ".join(str(p) for p in self.platforms()) or "none"
        raise ImageError(
            f"{self} has no image for platform {platform}; it has: {have}",
            hint="choose one of those with --platform",
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def walk(obj: Image | ImageIndex) -> Iterator[Image | ImageIndex]:
    """Every manifest of `obj` (itself included), children before their index, each once."""
    seen: set[Digest] = set()

    def visit(node: Image | ImageIndex) -> Iterator[Image | ImageIndex]:
        if node.digest() in seen:
            return
        seen.add(node.digest())
        if isinstance(node, ImageIndex):
            for _, child in node.children():
                yield from visit(child)
        yield node

    yield from visit(obj)


def blobs_of(obj: Image | ImageIndex) -> dict[Digest, tuple[Image, Descriptor]]:
    """The config and layer blobs of every image in `obj`, each once, with an image that has it."""
    out: dict[Digest, tuple[Image, Descriptor]] = {}
    for node in walk(obj):
        if isinstance(node, Image):
            m = node.manifest()
            for d in (m.config, *m.layers):
                out.setdefault(d.digest, (node, d))
    return out
