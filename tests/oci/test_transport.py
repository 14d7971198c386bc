"""open_image / write_image over every transport reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hardbake.oci import layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.errors import ImageError
from hardbake.oci.image import ImageIndex
from hardbake.oci.platform import Platform
from hardbake.oci.reference import parse_image_ref
from hardbake.oci.transport import open_any, open_image, write_image
from hardbake.oci.validate import validate_image
from hardbake.testing.images import random_image, random_index
from hardbake.testing.registry import LocalRegistry


def test_layout_and_archive_refs(tmp_path: Path, store: BlobStore) -> None:
    img = random_image(store)
    desc = write_image(img, parse_image_ref(f"oci:{tmp_path / 'lay'}:v1"))
    assert desc.digest == img.digest()
    with open_image(parse_image_ref(f"oci:{tmp_path / 'lay'}:v1")) as back:
        validate_image(back)
    write_image(img, parse_image_ref(f"docker-archive:{tmp_path / 'a.tar'}:hardbake-test/t:1"))
    with open_image(parse_image_ref(f"docker-archive:{tmp_path / 'a.tar'}:hardbake-test/t:1")) as back:
        assert back.digest() == img.digest()
    with open_image(parse_image_ref(f"docker-archive:{tmp_path / 'a.tar'}")) as back:
        assert back.digest() == img.digest()


def test_an_index_gives_the_requested_platform_to_single_platform_outputs(
    tmp_path: Path, store: BlobStore
) -> None:
    idx = random_index(store)
    write_image(idx, parse_image_ref(f"oci:{tmp_path / 'lay'}:multi"))
    assert isinstance(open_any(parse_image_ref(f"oci:{tmp_path / 'lay'}:multi")), ImageIndex)
    arm = open_image(parse_image_ref(f"oci:{tmp_path / 'lay'}:multi"), Platform.parse("linux/arm64"))
    assert arm.platform() == Platform("linux", "arm64", "v8")
    host = open_image(parse_image_ref(f"oci:{tmp_path / 'lay'}:multi"))
    assert host.platform().matches(Platform.host())
    desc = write_image(
        idx, parse_image_ref(f"docker-archive:{tmp_path / 'arm.tar'}"), platform=Platform.parse("linux/arm64")
    )
    assert desc.digest == arm.digest()
    with pytest.raises(ImageError, match="is for linux/arm64/v8, not linux/amd64"):
        open_image(parse_image_ref(f"docker-archive:{tmp_path / 'arm.tar'}"), Platform.parse("linux/amd64"))
    with pytest.raises(ImageError, match="no image for platform linux/s390x"):
        write_image(
            idx,
            parse_image_ref(f"docker-archive:{tmp_path / 'x.tar'}"),
            platform=Platform.parse("linux/s390x"),
        )
    assert not (tmp_path / "x.tar").exists()


def test_registry_refs(registry: LocalRegistry, store: BlobStore) -> None:
    idx = random_index(store)
    ref = parse_image_ref(f"{registry.host}/hardbake/python:3.13")
    assert write_image(idx, ref).digest == idx.digest()
    assert isinstance(open_any(ref), ImageIndex)
    with open_image(ref, Platform.parse("linux/arm64")) as arm:
        assert arm.platform() == Platform("linux", "arm64", "v8")
        validate_image(arm)


def test_missing_things_are_input_errors(tmp_path: Path, store: BlobStore) -> None:
    with pytest.raises(ImageError, match="not an OCI image layout"):
        open_image(parse_image_ref(f"oci:{tmp_path}/nothing"))
    layout.write(tmp_path / "lay", random_image(store), tags=["a"])
    with pytest.raises(ImageError, match="no entry tagged 'b'"):
        open_image(parse_image_ref(f"oci:{tmp_path / 'lay'}:b"))


@pytest.mark.docker
def test_daemon_refs(store: BlobStore, docker_engine: Any, engine_images: Any) -> None:
    img = random_image(store)
    name = engine_images()
    write_image(img, parse_image_ref(f"docker-daemon:{name}"), engine=docker_engine)
    with open_image(parse_image_ref(f"docker-daemon:{name}"), engine=docker_engine) as back:
        assert back.digest() == img.digest()
