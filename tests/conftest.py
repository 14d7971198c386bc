"""Fixtures shared by the whole suite: real engine, real registry, isolated cache dirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hardbake.testing.aptrepo import AptRepo, RepoSite, SigningKey, make_key, serve
from hardbake.testing.engine import docker_client
from hardbake.testing.registry import LocalRegistry, local_registry
from hardbake.testing.standard import StandardImage, cache_root, standard_image


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own HARDBAKE_CACHE unless it sets one itself."""
    monkeypatch.setenv("HARDBAKE_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("HARDBAKE_MIRROR", raising=False)
    monkeypatch.delenv("HARDBAKE_SECURITY_MIRROR", raising=False)


@pytest.fixture(scope="session")
def docker_engine() -> Any:
    return docker_client()


@pytest.fixture()
def registry() -> Iterator[LocalRegistry]:
    with local_registry() as reg:
        yield reg


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the project (read-only upstream samples)."""
    here = Path(__file__).resolve().parent.parent
    p = here.parent / "shared" / "data"
    assert p.is_dir(), f"{p} missing: the shared data directory must sit beside the project"
    return p


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


# -- a local signed apt repository (debian, build and CLI tests) ------------------------


@pytest.fixture(scope="session")
def archive_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("key"))


@pytest.fixture(scope="session")
def other_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("otherkey"), name="someone else")


@pytest.fixture()
def site(tmp_path: Path, archive_key: SigningKey) -> Iterator[RepoSite]:
    """An empty archive: the test adds packages under tmp/debian and publishes suites."""
    (tmp_path / "www" / "debian").mkdir(parents=True)
    (tmp_path / "www" / "debian-security").mkdir(parents=True)
    repo = AptRepo(tmp_path / "www" / "debian", archive_key)
    security = AptRepo(tmp_path / "www" / "debian-security", archive_key)
    # every suite `--suite trixie` expands to exists, empty until a test adds packages
    repo.publish("trixie")
    repo.publish("trixie-updates")
    security.publish("trixie-security")
    with serve(tmp_path / "www") as url:
        yield RepoSite(repo, security, url, tmp_path / "cache")
