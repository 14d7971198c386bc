"""`validate_image` / `validate_index`: check that an image is internally consistent.

Modelled on go-containerregistry's `validate.Image`: it reads everything through the public
interface and checks it independently of the source's own verification (it hashes the
bytes itself), so every source and every mutation can be held to the same standard in
tests, and `hardbake` can check an image a user hands it. Raises `ImageError` (or
`DigestMismatch`) describing the first inconsistency.
"""

from __future__ import annotations

import hashlib

from hardbake.oci import mediatype as mt
from hardbake.oci.compression import open_uncompressed, sniff
from hardbake.oci.config import non_empty_history
from hardbake.oci.digest import Digest
from hardbake.oci.errors import ImageError
from hardbake.oci.image import Image, ImageIndex
from hardbake.oci.manifest import EMPTY_CONFIG, Manifest
from hardbake.oci.tarstream import TarReader

_READ = 1 << 20


def _fail(what: str, message: str) -> ImageError:
    return ImageError(f"{what}: {message}")


def _hash_stream(stream: object) -> tuple[Digest, int]:
    h, n = hashlib.sha256(), 0
    while chunk := stream.read(_READ):  # type: ignore[attr-defined]
        h.update(chunk)
        n += len(chunk)
    return Digest(h.hexdigest()), n


def validate_image(image: Image, *, check_tar: bool = True) -> None:
    """Manifest, config, every layer (digest, size, diff_id, compression, tar) agree."""
    what = str(image)
    raw = image.raw_manifest()
    manifest = Manifest.from_bytes(raw, f"{what} manifest")
    if manifest != image.manifest():
        raise _fail(what, "manifest() does not match raw_manifest()")
    if image.digest() != Digest.from_bytes(raw):
        raise _fail(what, f"digest() is {image.digest()}, the manifest hashes to {Digest.from_bytes(raw)}")
    desc = image.descriptor()
    if desc.digest != image.digest() or desc.size != len(raw) or desc.media_type != manifest.media_type:
        raise _fail(what, "descriptor() disagrees with the manifest")
    with image.open_blob(manifest.config) as f:
        config_bytes = f.read()
    if Digest.from_bytes(config_bytes) != manifest.config.digest or len(config_bytes) != manifest.config.size:
        raise _fail(what, "config blob does not match its descriptor")
    if image.raw_config() != config_bytes:
        raise _fail(what, "raw_config() differs from the config blob")
    if image.config_digest() != manifest.config.digest:
        raise _fail(what, "config_digest() differs from the manifest's config descriptor")
    if manifest.is_artifact:
        _validate_artifact(image, manifest, what)
        return
    config = image.config()
    if config.platform != desc.platform:
        raise _fail(what, f"descriptor platform {desc.platform} is not the config's {config.platform}")
    layers = image.layers()
    if not (len(layers) == len(manifest.layers) == len(config.diff_ids)):
        raise _fail(
            what,
            f"{len(layers)} layers, {len(manifest.layers)} in the manifest, {len(config.diff_ids)} diff_ids",
        )
    if non_empty_history(config.history) > len(layers):  # what Docker refuses on pull and load
        raise _fail(
            what, f"history has {non_empty_history(config.history)} layer entries for {len(layers)} layers"
        )
    for i, (layer, ldesc, diff_id) in enumerate(zip(layers, manifest.layers, config.diff_ids, strict=True)):
        lwhat = f"{what} layer {i}"
        if (layer.digest(), layer.size()) != (ldesc.digest, ldesc.size):
            raise _fail(
                lwhat, f"layer says {layer.digest()} ({layer.size()}), manifest {ldesc.digest} ({ldesc.size})"
            )
        if layer.diff_id() != diff_id:
            raise _fail(lwhat, f"diff_id() {layer.diff_id()} is not the config's {diff_id}")
        expected = mt.layer_compression(ldesc.media_type)
        if expected is None:
            raise _fail(lwhat, f"media type {ldesc.media_type!r} is not a layer type")
        with layer.compressed() as f:
            head = f.read(4)
            rest, rest_size = hashlib.sha256(head), len(head)
            while chunk := f.read(_READ):
                rest.update(chunk)
                rest_size += len(chunk)
        found = sniff(head)
        if found != expected:
            raise _fail(lwhat, f"media type says {expected} but the blob is {found}")
        if (Digest(rest.hexdigest()), rest_size) != (ldesc.digest, ldesc.size):
            raise _fail(
                lwhat,
                f"blob hashes to sha256:{rest.hexdigest()} ({rest_size} bytes), manifest says {ldesc.digest}",
            )
        with layer.compressed() as raw_blob:
            tar, _ = open_uncompressed(raw_blob, lwhat)
            with tar:
                if check_tar:
                    counter = _Counting(tar)
                    for _ in TarReader(counter, lwhat):  # type: ignore[arg-type]
                        pass
                    counter.finish()
                    udigest = counter.digest()
                else:
                    udigest, _n = _hash_stream(tar)
        if udigest != diff_id:
            raise _fail(lwhat, f"uncompressed tar hashes to {udigest}, config diff_id is {diff_id}")
        with layer.uncompressed() as f:
            via_layer, _n = _hash_stream(f)
        if via_layer != diff_id:
            raise _fail(lwhat, "uncompressed() does not yield the diff_id's bytes")


class _Counting:
    def __init__(self, inner: object) -> None:
        self._inner = inner
        self._h = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data: bytes = self._inner.read(n)  # type: ignore[attr-defined]
        self._h.update(data)
        return data

    def seekable(self) -> bool:
        return False

    def finish(self) -> None:
        while self.read(_READ):
            pass

    def digest(self) -> Digest:
        return Digest(self._h.hexdigest())


def _validate_artifact(image: Image, manifest: Manifest, what: str) -> None:
    if manifest.config.media_type == mt.OCI_EMPTY and manifest.config != EMPTY_CONFIG:
        raise _fail(what, "an empty config must be the 2-byte blob {}")
    for d in manifest.layers:
        with image.open_blob(d) as f:
            digest, size = _hash_stream(f)
        if (digest, size) != (d.digest, d.size):
            raise _fail(what, f"blob {d.digest} hashes to {digest} ({size} bytes)")


def validate_index(index: ImageIndex, *, check_tar: bool = True) -> None:
    """The index parses, and every child validates and matches its descriptor."""
    what = str(index)
    raw = index.raw_manifest()
    if index.digest() != Digest.from_bytes(raw):
        raise _fail(what, "digest() does not hash the raw index")
    for d, child in index.children():
        if child.digest() != d.digest or len(child.raw_manifest()) != d.size:
            raise _fail(what, f"child {d.digest} does not match its descriptor")
        if child.media_type() != d.media_type:
            raise _fail(what, f"child {d.digest} is {child.media_type()}, descriptor says {d.media_type}")
        if isinstance(child, ImageIndex):
            validate_index(child, check_tar=check_tar)
            continue
        validate_image(child, check_tar=check_tar)
        if d.platform is not None and not child.is_artifact() and d.platform != child.platform():
            raise _fail(what, f"child {d.digest} is listed as {d.platform} but is {child.platform()}")
