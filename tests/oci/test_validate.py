"""validate_image must catch what is wrong, not just pass what is right."""

from __future__ import annotations

import io
from typing import BinaryIO

import pytest

from hardbake.oci import mediatype as mt
from hardbake.oci import mutate
from hardbake.oci.blobs import BlobStore
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import DigestMismatch, ImageError
from hardbake.oci.image import Image
from hardbake.oci.layer import BlobLayer, TarEntry, compress_layer, write_layer
from hardbake.oci.validate import validate_image
from hardbake.testing.images import image_of, random_image


class _Lying(Image):
    """An image whose manifest is edited after the fact (what a tamperer would do)."""

    def __init__(self, base: Image, raw: bytes) -> None:
        self._base, self._raw = base, raw

    def raw_manifest(self) -> bytes:
        return self._raw

    def _open_raw(self, desc: Descriptor) -> BinaryIO:
        return self._base._open_raw(desc)


def test_good_images_pass(store: BlobStore) -> None:
    validate_image(random_image(store))


def test_wrong_diff_id_is_caught(store: BlobStore) -> None:
    real = write_layer([TarEntry.file("a", b"a")], store)
    fake = BlobLayer(store, real.descriptor(), Digest.from_bytes(b"other"))
    with pytest.raises(ImageError, match="uncompressed tar hashes to"):
        validate_image(image_of([fake]))


def test_layer_media_type_that_lies_about_compression_is_caught(store: BlobStore) -> None:
    tar = io.BytesIO()
    real = compress_layer(tar, store)  # an empty tar
    plain = BlobLayer(store, Descriptor(mt.OCI_LAYER, real.digest(), real.size()), real.diff_id())
    with pytest.raises(ImageError, match="media type says none but the blob is gzip"):
        validate_image(image_of([plain]))


def test_tampered_manifest_size_is_caught(store: BlobStore) -> None:
    img = random_image(store, layers=1)
    raw = img.raw_manifest()
    m = img.manifest()
    layer = m.layers[0]
    bad = raw.replace(f'"size":{layer.size}'.encode(), f'"size":{layer.size + 1}'.encode())
    assert bad != raw
    with pytest.raises((ImageError, DigestMismatch)):
        validate_image(_Lying(img, bad))


def test_history_that_claims_too_many_layers_is_caught(store: BlobStore) -> None:
    img = random_image(store, layers=1)
    from dataclasses import replace

    from hardbake.oci.config import History

    cfg = replace(img.config(), history=(*img.config().history, History(created_by="phantom")))
    validate_image(mutate.with_config(img, replace(cfg, history=())))  # no history is fine
    with pytest.raises(ImageError, match="history has 2 layer entries for 1 layers"):
        validate_image(mutate.with_config(img, cfg))
