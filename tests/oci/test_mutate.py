"""Images made from images: every change returns a new object and validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hardbake.errors import InputError
from hardbake.oci import mediatype as mt
from hardbake.oci import mutate
from hardbake.oci.blobs import BlobStore
from hardbake.oci.config import ContainerConfig, History, ImageConfig
from hardbake.oci.errors import ImageError
from hardbake.oci.layer import TarEntry, write_layer
from hardbake.oci.manifest import EMPTY_CONFIG
from hardbake.oci.platform import Platform
from hardbake.oci.validate import validate_image, validate_index
from hardbake.testing.images import random_image


def test_empty_image_validates() -> None:
    img = mutate.empty_image(Platform.from_debian("arm64"), created="1970-01-01T00:00:00Z")
    validate_image(img)
    assert img.descriptor().platform == Platform("linux", "arm64", "v8")
    assert json.loads(img.raw_config())["variant"] == "v8"


def test_image_from_config_and_layers(store: BlobStore) -> None:
    layers = [write_layer([TarEntry.file(f"f{i}", b"x" * i)], store) for i in range(2)]
    config = ImageConfig.for_platform(Platform("linux", "amd64"), config=ContainerConfig(user="65532"))
    img = mutate.image(
        config,
        layers,
        history=[History(created_by=f"{i}") for i in range(2)],
        annotations={mt.REVISION: "abc"},
    )
    validate_image(img)
    assert img.config().diff_ids == tuple(x.diff_id() for x in layers)
    assert img.manifest().annotations == {mt.REVISION: "abc"}
    with pytest.raises(InputError, match="without diff_ids"):
        mutate.image(img.config(), layers)


def test_append_layer_returns_a_new_image(store: BlobStore) -> None:
    base = random_image(store, layers=1)
    layer = write_layer([TarEntry.file("new", b"x")], store)
    top = mutate.append_layers(base, [layer], [History(created_by="add new")])
    validate_image(top)
    assert len(base.layers()) == 1 and len(top.layers()) == 2
    assert top.config().diff_ids[-1] == layer.diff_id()
    assert top.config().history[-1].created_by == "add new"
    assert base.digest() != top.digest()
    with pytest.raises(InputError, match="1 layers but 2 history"):
        mutate.append_layers(base, [layer], [History(), History()])


def test_config_and_annotations_changes(store: BlobStore) -> None:
    base = random_image(store)
    run = mutate.with_container_config(base, ContainerConfig(user="65532", cmd=("python3",), env=("A=1",)))
    validate_image(run)
    assert run.config().config.cmd == ("python3",) and base.config().config.cmd == ("/layer0/f0",)
    noted = mutate.with_annotations(run, {mt.SOURCE: "https://example.invalid/repo"})
    validate_image(noted)
    assert noted.manifest().annotations[mt.SOURCE].startswith("https://")
    assert noted.raw_config() == run.raw_config(), "annotations do not touch the config"
    assert noted.digest() != run.digest()
    with pytest.raises(InputError, match="diff_ids that do not match"):
        mutate.with_config(base, run.config().with_layer(base.layers()[0].diff_id()))


def test_artifact_refers_to_its_subject(store: BlobStore, tmp_path: Path) -> None:
    image = random_image(store)
    sbom = tmp_path / "sbom.json"
    sbom.write_text('{"spdxVersion":"SPDX-2.3"}')
    art = mutate.artifact(
        "application/spdx+json",
        [mutate.Blob("application/spdx+json", sbom, {mt.TITLE: "sbom.spdx.json"})],
        subject=image.descriptor(),
        annotations={mt.CREATED: "1970-01-01T00:00:00Z"},
    )
    validate_image(art)
    m = art.manifest()
    assert m.is_artifact and m.config == EMPTY_CONFIG and m.subject == image.descriptor()
    assert art.descriptor().artifact_type == "application/spdx+json"
    assert art.descriptor().platform is None
    with pytest.raises(ImageError, match="not filesystem layers"):
        art.layers()
    empty = mutate.artifact("application/vnd.example.marker", [], subject=image.descriptor())
    validate_image(empty)
    assert empty.manifest().layers == (EMPTY_CONFIG,)


def test_index_of_platforms(store: BlobStore) -> None:
    amd = random_image(store, platform=Platform("linux", "amd64"))
    arm = random_image(store, platform=Platform.from_debian("arm64"))
    idx = mutate.index([amd, arm], annotations={mt.REF_NAME: "x"})
    validate_index(idx)
    assert idx.image(Platform.parse("linux/arm64")).digest() == arm.digest()
    assert idx.image(Platform.parse("linux/amd64")).digest() == amd.digest()
    with pytest.raises(
        ImageError, match="no image for platform linux/s390x; it has: linux/amd64, linux/arm64/v8"
    ):
        idx.image(Platform.parse("linux/s390x"))
    with pytest.raises(InputError, match="two images for platform"):
        mutate.index([amd, random_image(store, seed=9)])
