"""One entry point to Debian for the rest of hardbake: suites -> universe -> lock -> .debs.

It wires the pieces (mirrors, archive, resolver, cache) from explicit configuration; callers
(the CLI, the image builder, the patch loop) pass the HTTP client and cache root in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hardbake import distro as distros
from hardbake.debian.archive import Archive
from hardbake.debian.cache import FetchResult, PackageCache, ProgressSink, url_resolver
from hardbake.debian.lock import ArchLock, LockedPackage
from hardbake.debian.resolve import Request, resolve
from hardbake.debian.sources import Mirrors, Repository
from hardbake.debian.universe import Universe
from hardbake.download import Downloader
from hardbake.errors import InputError


def expand_suites(suites: Sequence[str]) -> tuple[str, ...]:
    """`trixie` alone means trixie-security, trixie-updates, trixie (priority order).

    A distro name works too (`debian-13`); an explicit list is taken as given.
    """
    if len(suites) == 1:
        only = suites[0]
        try:
            d = distros.get(only)
        except InputError:
            return (only,)
        return d.suites
    return tuple(suites)


def http_client(timeout: float = 60.0) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=15.0),
        follow_redirects=True,
        headers={"User-Agent": "hardbake"},
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
    )


@dataclass
class DebianClient:
    mirrors: Mirrors
    cache_root: Path
    http: httpx.Client | None = None
    offline: bool = False
    extra: tuple[Repository, ...] = field(default=())
    components: tuple[str, ...] = ("main",)
    max_age: float = 300.0

    def __post_init__(self) -> None:
        self.downloader = Downloader(self.http) if self.http is not None else None
        self.archive = Archive(self.downloader, self.cache_root, offline=self.offline, max_age=self.max_age)
        self.cache = PackageCache(self.cache_root)
        self._universes: dict[tuple[tuple[str, ...], str], Universe] = {}

    def repositories(self, suites: Sequence[str]) -> list[Repository]:
        repos = [self.mirrors.for_suite(s, self.components) for s in expand_suites(suites)]
        return repos + list(self.extra)

    def universe(self, suites: Sequence[str], arch: str) -> Universe:
        key = (tuple(suites), arch)
        if key not in self._universes:
            self._universes[key] = self._open_universe(suites, arch)
        return self._universes[key]

    def _open_universe(self, suites: Sequence[str], arch: str) -> Universe:
        indices = []
        for repo in self.repositories(suites):
            for comp in repo.components:
                indices.append(self.archive.index(repo, comp, arch))
        return Universe(indices, arch)

    def lock(
        self,
        packages: Sequence[str],
        suites: Sequence[str],
        arch: str,
        drops: Mapping[str, str] | None = None,
    ) -> ArchLock:
        u = self.universe(suites, arch)
        res = resolve(u, Request.from_args(packages, drops))
        return ArchLock.from_resolution(res, tuple((r.name, r.suite) for r in self.repositories(suites)))

    def url_bases(self) -> dict[str, str]:
        bases = self.mirrors.bases
        bases.update({r.name: r.uri for r in self.extra})
        return bases

    def deb_url(self, pkg: LockedPackage) -> str:
        return url_resolver(self.url_bases())(pkg)

    def fetch(self, pkgs: Sequence[LockedPackage], progress: ProgressSink | None = None) -> FetchResult:
        if self.offline or self.downloader is None:
            self.cache.require(pkgs)
            return FetchResult((), tuple(pkgs), 0)
        return self.cache.fetch(pkgs, self.downloader, url_resolver(self.url_bases()), progress=progress)
