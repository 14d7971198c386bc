"""The verified archive client: InRelease -> Packages -> index, all checked before use.

Chain of trust (the same apt uses): the InRelease signature is checked against the
repository's keyring (gpgv), its Valid-Until must not have passed, and each Packages file must
match the size and SHA256 the signed Release lists, both compressed and uncompressed. Only
then is an index stored in the cache (content-addressed by its SHA256) and parsed.
"""

from __future__ import annotations

import gzip
import hashlib
import lzma
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hardbake import atomic
from hardbake.debian.openpgp import verify_detached, verify_inrelease
from hardbake.debian.packages import PackagesIndex
from hardbake.debian.release import IndexFile, Release
from hardbake.debian.sources import Repository
from hardbake.download import Downloader, Expected
from hardbake.errors import InputError, IntegrityError

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def _repo_key(repo: Repository) -> str:
    h = hashlib.sha256(f"{repo.uri}|{repo.suite}".encode()).hexdigest()[:16]
    return f"{repo.suite}-{h}"


class Archive:
    """Reads signed suites and their Packages indices, online or from the cache (`offline`)."""

    def __init__(
        self,
        downloader: Downloader | None,
        cache_root: Path,
        *,
        clock: Clock = _now,
        offline: bool = False,
        max_age: float = 300.0,
    ) -> None:
        if downloader is None and not offline:
            raise ValueError("an online Archive needs a downloader")
        self.downloader = downloader
        self.root = cache_root
        self.clock = clock
        self.offline = offline
        self.max_age = max_age  # seconds an InRelease is reused without asking the mirror again
        self._releases: dict[tuple[str, str], Release] = {}

    # -- Release ---------------------------------------------------------------------------

    def release(self, repo: Repository) -> Release:
        key = (repo.uri, repo.suite)
        if key not in self._releases:
            self._releases[key] = self._release(repo)
        return self._releases[key]

    def _release(self, repo: Repository) -> Release:
        d = self.root / "dists" / _repo_key(repo)
        cached = _cached_release(d)
        if cached is not None:
            data, sig, mtime = cached
            if self.offline or (time.time() - mtime) < self.max_age:
                return self._verify(data, sig, repo, str(d))
        if self.offline:
            raise InputError(
                f"offline: no cached InRelease for {repo.name} {repo.suite} ({repo.dist_url('InRelease')})",
                hint="run once online (without --offline) to fill the cache",
            )
        assert self.downloader is not None
        inrelease = self.downloader.get_bytes(repo.dist_url("InRelease"), what=repo.dist_url("InRelease"))
        if inrelease is not None:
            rel = self._verify(inrelease, None, repo, repo.dist_url("InRelease"))
            atomic.write_bytes(d / "InRelease", inrelease)
            return rel
        what = repo.dist_url("Release")
        release = self.downloader.get_bytes(what, what=what)
        if release is None:
            raise InputError(
                f"{repo.name}: suite {repo.suite!r} not found at {repo.uri} (no InRelease or Release)",
                hint="check the suite name and the mirror URL",
            )
        sig = self.downloader.get_bytes(repo.dist_url("Release.gpg"), what=what)
        if sig is None:
            raise IntegrityError(
                f"{what}: unsigned repository (no InRelease, no Release.gpg)",
                hint="hardbake only reads signed repositories",
            )
        rel = self._verify(release, sig, repo, what)
        atomic.write_bytes(d / "Release.gpg", sig)
        atomic.write_bytes(d / "Release", release)
        return rel

    def _verify(self, data: bytes, sig: bytes | None, repo: Repository, what: str) -> Release:
        if sig is None:
            v = verify_inrelease(data, repo.keyring, what)
        else:
            v = verify_detached(data, sig, repo.keyring, what)
        rel = Release.parse(
            v.content, fingerprints=v.fingerprints, sha256=hashlib.sha256(v.content).hexdigest(), what=what
        )
        rel.check_fresh(self.clock(), what)
        if rel.codename and repo.suite not in (rel.codename, rel.suite):
            raise IntegrityError(
                f"{what}: signed for suite {rel.codename!r}/{rel.suite!r}, but {repo.suite!r} was asked for",
                hint="the mirror serves another suite's Release (a downgrade or mix-up)",
            )
        return rel

    # -- Packages --------------------------------------------------------------------------

    def index(self, repo: Repository, component: str, arch: str) -> PackagesIndex:
        rel = self.release(repo)
        entry = rel.index_file(component, arch)
        if entry is None:
            raise InputError(
                f"{repo.name} {repo.suite}: no Packages index for {component}/{arch}",
                hint=f"the Release lists architectures {' '.join(rel.architectures)} "
                f"and components {' '.join(rel.components)}",
            )
        plain = rel.files.get(f"{component}/binary-{arch}/Packages")
        key = (plain or entry).sha256
        data_path = self.root / "indices" / key
        origin = repo.dist_url(entry.path)
        if data_path.exists():
            data = data_path.read_bytes()
        elif self.offline:
            raise InputError(
                f"offline: index {origin} (sha256 {key}) is not in the cache",
                hint="run once online (without --offline) to fill the cache",
            )
        else:
            data = self._download_index(repo, rel, entry, plain, origin)
            atomic.write_bytes(data_path, data)
        return PackagesIndex.open_cached(
            data, data_path.with_suffix(".idx"), suite=repo.suite, repo=repo.name, origin=origin
        )

    def _download_index(
        self, repo: Repository, rel: Release, entry: IndexFile, plain: IndexFile | None, origin: str
    ) -> bytes:
        assert self.downloader is not None
        url = repo.dist_url(entry.path)
        if rel.acquire_by_hash:
            directory = entry.path.rsplit("/", 1)[0]
            url = repo.dist_url(f"{directory}/by-hash/SHA256/{entry.sha256}")
        tmp = self.root / "downloads" / f"{entry.sha256}{Path(entry.path).suffix}"
        self.downloader.fetch(url, tmp, Expected(entry.sha256, entry.size), what=origin)
        raw = tmp.read_bytes()
        try:
            if entry.path.endswith(".gz"):
                data = gzip.decompress(raw)
            elif entry.path.endswith(".xz"):
                data = lzma.decompress(raw)
            else:
                data = raw
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
            raise IntegrityError(f"{origin}: cannot decompress ({e})") from e
        finally:
            tmp.unlink(missing_ok=True)
        if plain is not None:
            digest = hashlib.sha256(data).hexdigest()
            if digest != plain.sha256 or len(data) != plain.size:
                raise IntegrityError(
                    f"{origin}: decompressed index does not match the Release: expected sha256 "
                    f"{plain.sha256} ({plain.size} bytes), got {digest} ({len(data)} bytes)"
                )
        return data


def _cached_release(d: Path) -> tuple[bytes, bytes | None, float] | None:
    """The cached signed Release of a suite: (data, detached signature or None, mtime)."""
    inrelease = d / "InRelease"
    if inrelease.exists():
        return inrelease.read_bytes(), None, inrelease.stat().st_mtime
    release, sig = d / "Release", d / "Release.gpg"
    if release.exists() and sig.exists():
        return release.read_bytes(), sig.read_bytes(), release.stat().st_mtime
    return None
