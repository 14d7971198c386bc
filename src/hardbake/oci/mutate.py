"""Making new images from old ones: every function returns a new object, nothing is changed.

Like go-containerregistry's `mutate`: layers are appended, configs replaced, annotations
added, artifacts and indexes assembled. The results are in-memory images whose manifest is
canonical JSON computed from their parts; the layers stay wherever their bytes already live
(a blob store, a layout, an archive), so nothing is copied until a sink writes it.
hardbake writes OCI media types: Docker layer and config types of a base image are mapped
to their OCI equivalents (the blobs, hence the digests, are unchanged).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from hardbake.errors import InputError
from hardbake.oci import mediatype as mt
from hardbake.oci.config import ContainerConfig, History, ImageConfig
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import ImageError
from hardbake.oci.image import Image, ImageIndex, Layer, memo
from hardbake.oci.manifest import EMPTY_CONFIG, Index, Manifest
from hardbake.oci.platform import Platform

_OCI_LAYER_TYPE = {
    mt.DOCKER_LAYER_GZIP: mt.OCI_LAYER_GZIP,
    mt.DOCKER_LAYER_ZSTD: mt.OCI_LAYER_ZSTD,
}


class _ComposedImage(Image):
    """An image assembled in memory from a config and layers."""

    def __init__(
        self,
        config: ImageConfig,
        layers: Sequence[Layer],
        annotations: Mapping[str, str] | None = None,
        subject: Descriptor | None = None,
        raw_config: bytes | None = None,
    ) -> None:
        ids = tuple(layer.diff_id() for layer in layers)
        if ids != config.diff_ids:
            raise InputError(
                f"config lists {len(config.diff_ids)} diff_ids that do not match the "
                f"{len(layers)} layers given: the config's rootfs must name exactly these layers"
            )
        self._config = config
        self._raw_config = raw_config if raw_config is not None else config.to_bytes()
        self._config_digest = Digest.from_bytes(self._raw_config)
        self._layers = tuple(layers)
        self._annotations = dict(annotations or {})
        self._subject = subject

    def raw_manifest(self) -> bytes:
        def make() -> bytes:
            return Manifest(
                config=Descriptor(mt.OCI_CONFIG, self._config_digest, len(self._raw_config)),
                layers=tuple(
                    Descriptor(_OCI_LAYER_TYPE.get(x.media_type(), x.media_type()), x.digest(), x.size())
                    for x in self._layers
                ),
                annotations=self._annotations,
                subject=self._subject,
            ).to_bytes()

        return memo(self, "raw", make)

    def _open_raw(self, desc: Descriptor) -> BinaryIO:
        if desc.digest == self._config_digest:
            return io.BytesIO(self._raw_config)
        for layer in self._layers:
            if layer.digest() == desc.digest:
                return layer.compressed()
        raise ImageError(f"{self}: no blob {desc.digest}")

    def local_blob(self, desc: Descriptor) -> Path | None:
        for layer in self._layers:
            if layer.digest() == desc.digest:
                return layer.local_path()
        return None

    def raw_config(self) -> bytes:
        return self._raw_config

    def config_digest(self) -> Digest:
        return self._config_digest

    def is_artifact(self) -> bool:
        return False

    def config(self) -> ImageConfig:
        return self._config

    def layers(self) -> Sequence[Layer]:
        return self._layers

    def close(self) -> None:
        """Nothing to release: the layers belong to their sources."""

    def __str__(self) -> str:
        return f"image {self._config.platform} with {len(self._layers)} layers"


def _parts(base: Image) -> tuple[ImageConfig, tuple[Layer, ...], dict[str, str], Descriptor | None]:
    m = base.manifest()
    return base.config(), tuple(base.layers()), dict(m.annotations), m.subject


def empty_image(platform: Platform, *, created: str | None = None) -> Image:
    """An image with no layers and a default config for `platform`."""
    return _ComposedImage(ImageConfig.for_platform(platform, created=created), ())


def from_parts(
    config: ImageConfig, layers: Sequence[Layer], *, annotations: Mapping[str, str] | None = None
) -> Image:
    """An image from a complete config (whose diff_ids must match `layers`) and its layers."""
    return _ComposedImage(config, layers, annotations)


def image(
    config: ImageConfig,
    layers: Sequence[Layer],
    *,
    history: Sequence[History] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Image:
    """A new image: `config` (whose rootfs is filled in from `layers`) and `layers`, with
    one `history` entry per layer if given, and manifest `annotations`. The builder's call."""
    if config.diff_ids:
        raise InputError("image(): pass a config without diff_ids; they are taken from the layers")
    built = append_layers(_ComposedImage(config, ()), layers, history)
    return with_annotations(built, annotations) if annotations else built


def append_layers(base: Image, layers: Sequence[Layer], history: Sequence[History] | None = None) -> Image:
    """`base` with `layers` on top, with one history entry per layer: `history`, or, when
    the base keeps a history, an entry stamped with the config's `created`."""
    config, old, annotations, subject = _parts(base)
    if history is not None and len(history) != len(layers):
        raise InputError(f"{len(layers)} layers but {len(history)} history entries")
    if history is None and config.history:
        history = [History(created=config.created) for _ in layers]
    for i, layer in enumerate(layers):
        config = config.with_layer(layer.diff_id(), None if history is None else history[i])
    return _ComposedImage(config, (*old, *layers), annotations, subject)


def with_config(base: Image, config: ImageConfig) -> Image:
    """`base` with its whole config replaced (rootfs must still name the same layers)."""
    _, layers, annotations, subject = _parts(base)
    return _ComposedImage(config, layers, annotations, subject)


def with_container_config(base: Image, container: ContainerConfig) -> Image:
    """`base` with the run settings (User, Env, Entrypoint, Cmd, ...) replaced."""
    return with_config(base, replace(base.config(), config=container))


def with_created(base: Image, created: str) -> Image:
    return with_config(base, replace(base.config(), created=created))


def with_annotations(base: Image, annotations: Mapping[str, str]) -> Image:
    """`base` with manifest annotations merged over the existing ones (config bytes kept)."""
    config, layers, old, subject = _parts(base)
    return _ComposedImage(config, layers, {**old, **annotations}, subject, base.raw_config())


def with_subject(base: Image, subject: Descriptor) -> Image:
    """`base` pointing at `subject` (config bytes kept)."""
    config, layers, annotations, _ = _parts(base)
    return _ComposedImage(config, layers, annotations, subject, base.raw_config())


@dataclass(frozen=True)
class Blob:
    """A blob of an artifact: bytes in memory or a file, with its media type."""

    media_type: str
    data: bytes | Path
    annotations: Mapping[str, str] = field(default_factory=dict)

    def descriptor(self) -> Descriptor:
        if isinstance(self.data, bytes):
            digest, size = Digest.from_bytes(self.data), len(self.data)
        else:
            digest, size = Digest.from_file(self.data)
        return Descriptor(self.media_type, digest, size, self.annotations)

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data) if isinstance(self.data, bytes) else open(self.data, "rb")


class _Artifact(Image):
    """An OCI 1.1 artifact manifest: empty config, blobs as layers, usually a subject."""

    def __init__(
        self,
        artifact_type: str,
        blobs: Sequence[Blob],
        subject: Descriptor | None,
        annotations: Mapping[str, str],
    ) -> None:
        self._artifact_type = artifact_type
        self._blobs = [(b.descriptor(), b) for b in blobs]
        self._raw = Manifest(
            config=EMPTY_CONFIG,
            layers=tuple(d for d, _ in self._blobs) or (EMPTY_CONFIG,),
            annotations=annotations,
            subject=subject,
            artifact_type=artifact_type,
        ).to_bytes()

    def raw_manifest(self) -> bytes:
        return self._raw

    def _open_raw(self, desc: Descriptor) -> BinaryIO:
        if desc.digest == EMPTY_CONFIG.digest:
            return io.BytesIO(mt.EMPTY_JSON)
        for d, blob in self._blobs:
            if d.digest == desc.digest:
                return blob.open()
        raise ImageError(f"artifact has no blob {desc.digest}")

    def layers(self) -> Sequence[Layer]:
        raise ImageError("an artifact has blobs, not filesystem layers")

    def __str__(self) -> str:
        return f"artifact {self._artifact_type}"


def artifact(
    artifact_type: str,
    blobs: Sequence[Blob],
    *,
    subject: Descriptor | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Image:
    """An OCI 1.1 artifact (an SBOM, a signature, an attestation) that refers to `subject`.

    With no blobs, the manifest lists the empty descriptor once, as image-spec
    manifest.md recommends for artifacts without content.
    """
    return _Artifact(artifact_type, blobs, subject, annotations or {})


class _ComposedIndex(ImageIndex):
    def __init__(self, children: Sequence[Image | ImageIndex], annotations: Mapping[str, str]) -> None:
        self._children = [(c.descriptor(), c) for c in children]
        digests = [d.digest for d, _ in self._children]
        if len(set(digests)) != len(digests):
            raise InputError("an index lists the same manifest twice")
        self._raw = Index(manifests=tuple(d for d, _ in self._children), annotations=annotations).to_bytes()

    def raw_manifest(self) -> bytes:
        return self._raw

    def child(self, desc: Descriptor) -> Image | ImageIndex:
        for d, c in self._children:
            if d.digest == desc.digest:
                return c
        raise ImageError(f"index has no manifest {desc.digest}")

    def __str__(self) -> str:
        return f"index of {len(self._children)} manifests"


def index(
    manifests: Sequence[Image | ImageIndex], *, annotations: Mapping[str, str] | None = None
) -> ImageIndex:
    """An OCI index of `manifests`, each descriptor carrying its image's platform.

    Two images of the same platform are refused: a consumer could not choose between them.
    """
    seen: list[Platform] = []
    for m in manifests:
        if isinstance(m, Image) and not m.is_artifact():
            p = m.platform()
            if any(p.matches(q) for q in seen):
                raise InputError(f"two images for platform {p} in one index")
            seen.append(p)
    return _ComposedIndex(manifests, annotations or {})
