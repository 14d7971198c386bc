"""Fixtures of the migrate tests: a catalog of the images the shipped catalog will hold.

Tags follow hardbake.spec.catalog's scheme: `<version>[-<distro tag>][-dev]`, the short tag
belonging to the newest distro of a version; version-less families use `<distro tag>[-dev]`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hardbake import distro as distros
from hardbake.migrate.catalogmap import Mapper
from hardbake.spec.catalog import CatalogEntry

#: (family, version, distro)
IMAGES: tuple[tuple[str, str | None, str], ...] = (
    ("python", "3.11", "debian-12"),
    ("python", "3.13", "debian-13"),
    ("node", "18", "debian-12"),
    ("node", "20", "debian-13"),
    ("java", "17", "debian-12"),
    ("java", "21", "debian-13"),
    ("nginx", None, "debian-12"),
    ("nginx", None, "debian-13"),
    ("httpd", None, "debian-12"),
    ("httpd", None, "debian-13"),
    ("redis", None, "debian-12"),
    ("redis", None, "debian-13"),
    ("postgres", "15", "debian-12"),
    ("postgres", "17", "debian-13"),
    ("mariadb", "10.11", "debian-12"),
    ("mariadb", "11.8", "debian-13"),
    ("static", None, "debian-12"),
    ("static", None, "debian-13"),
    ("base", None, "debian-12"),
    ("base", None, "debian-13"),
    ("cc", None, "debian-12"),
    ("cc", None, "debian-13"),
)


def make_catalog(root: Path, images: tuple[tuple[str, str | None, str], ...] = IMAGES) -> list[CatalogEntry]:
    out: list[CatalogEntry] = []
    for family, version, dist in images:
        newest_for_version = max(d for f, v, d in images if f == family and v == version)
        newest = max(d for f, _, d in images if f == family)
        dtag = distros.get(dist).tag
        for variant in ("runtime", "dev"):
            suffix = "-dev" if variant == "dev" else ""
            tags: list[str] = []
            if version is not None:
                if dist == newest_for_version:
                    tags.append(f"{version}{suffix}")
                tags.append(f"{version}-{dtag}{suffix}")
            else:
                tags.append(f"{dtag}{suffix}")
                if dist == newest:
                    tags.append(f"latest{suffix}")
            path = root / family / dist / f"{version or family}{suffix}.yaml"
            out.append(CatalogEntry(family, version, dist, variant, path, tuple(tags), ("amd64", "arm64")))
    return out


def write_catalog(root: Path, images: tuple[tuple[str, str | None, str], ...] = IMAGES) -> Path:
    """The same images as spec files, for `--catalog DIR` (read by hardbake.spec.catalog.entries)."""
    for family, version, dist in images:
        for variant in ("runtime", "dev"):
            suffix = "-dev" if variant == "dev" else ""
            p = root / family / dist / f"{version or family}{suffix}.yaml"
            p.parent.mkdir(parents=True, exist_ok=True)
            v = f'version: "{version}"\n' if version else ""
            p.write_text(f"name: {family}\ndistro: {dist}\n{v}variant: {variant}\n")
    return root


@pytest.fixture(scope="session")
def catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_catalog(tmp_path_factory.mktemp("catalog-dir"))


@pytest.fixture(scope="session")
def catalog_factory() -> Callable[..., list[CatalogEntry]]:
    return make_catalog


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> list[CatalogEntry]:
    return make_catalog(tmp_path_factory.mktemp("catalog"))


@pytest.fixture(scope="session")
def mapper(catalog: list[CatalogEntry]) -> Mapper:
    return Mapper(catalog)


@pytest.fixture(scope="session")
def corpus() -> Path:
    return Path(__file__).parent / "corpus"
