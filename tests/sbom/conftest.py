"""Fixtures of the SBOM tests: blob stores and saved images (the standard image and the package cache are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hardbake.oci import archive, layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.image import Image


@pytest.fixture()
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "store", fsync=False)


@pytest.fixture()
def save(tmp_path: Path) -> Callable[..., str]:
    """Write an image and return its reference: kind `oci` (layout, tag `t`) or `archive`."""
    counter = [0]

    def _save(img: Image, kind: str = "oci") -> str:
        counter[0] += 1
        if kind == "oci":
            d = tmp_path / f"layout{counter[0]}"
            layout.write(d, img, tags=("t",))
            return f"oci:{d}:t"
        f = tmp_path / f"image{counter[0]}.tar"
        archive.write(f, img, tags=(f"hardbake-test/sbom:{counter[0]}",))
        return f"docker-archive:{f}"

    return _save
