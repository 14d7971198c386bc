"""A local signed apt repository for the archive and resolver tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardbake.debian.client import DebianClient, http_client
from hardbake.debian.sources import Mirrors
from hardbake.testing.aptrepo import AptRepo, SigningKey, make_key, serve


@pytest.fixture(scope="session")
def archive_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("key"))


@pytest.fixture(scope="session")
def other_key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return make_key(tmp_path_factory.mktemp("otherkey"), name="someone else")


@dataclass
class RepoSite:
    repo: AptRepo  # http://.../debian: trixie, trixie-updates
    security: AptRepo  # http://.../debian-security: trixie-security
    url: str
    cache: Path

    def client(self, offline: bool = False, **kw: object) -> DebianClient:
        mirrors = Mirrors(f"{self.url}/debian", f"{self.url}/debian-security", self.repo.key.keyring)
        return DebianClient(
            mirrors=mirrors,
            cache_root=self.cache,
            http=None if offline else http_client(timeout=10),
            offline=offline,
            max_age=0.0,
            **kw,  # type: ignore[arg-type]
        )


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
