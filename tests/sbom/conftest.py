"""Fixtures of the SBOM tests: blob stores, the standard mmdebstrap image, saved images."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hardbake.oci import archive, layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.image import Image
from hardbake.testing.standard import StandardImage, cache_root, standard_image


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


@pytest.fixture(scope="session")
def std_python() -> StandardImage:
    """mmdebstrap --variant=minbase --include=python3 bookworm, imported (cached per day)."""
    return standard_image("bookworm", ("python3",))


@pytest.fixture(scope="session")
def debian_cache() -> Path:
    """A package cache that outlives the session (per day): real .debs fetched once."""
    p = cache_root() / "debian-cache"
    p.mkdir(parents=True, exist_ok=True)
    return p
