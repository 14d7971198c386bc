"""The package cache: .debs content-addressed by sha256, downloaded in parallel, verified.

Layout under the cache root (`HARDBAKE_CACHE`, default ~/.cache/hardbake):
`debs/sha256/<hex>` holds verified .debs; `<hex>.part` holds a partial download that the next
run resumes. A file only ever appears under its final name after its sha256 matched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hardbake.debian.lock import LockedPackage
from hardbake.download import Downloader, Expected
from hardbake.errors import InputError


class ProgressSink:
    """What the cache reports while fetching; the CLI renders it, tests may record it."""

    def start(self, total_bytes: int, count: int) -> None: ...

    def advance(self, nbytes: int) -> None: ...

    def finished(self, pkg: LockedPackage) -> None: ...


@dataclass(frozen=True)
class FetchResult:
    fetched: tuple[LockedPackage, ...]
    cached: tuple[LockedPackage, ...]
    bytes_downloaded: int


class PackageCache:
    def __init__(self, root: Path) -> None:
        self.root = root / "debs" / "sha256"

    def path(self, pkg: LockedPackage) -> Path:
        return self.root / pkg.sha256

    def has(self, pkg: LockedPackage) -> bool:
        return self.path(pkg).is_file()

    def missing(self, pkgs: Iterable[LockedPackage]) -> list[LockedPackage]:
        return [p for p in pkgs if not self.has(p)]

    def require(self, pkgs: Iterable[LockedPackage]) -> None:
        """Offline: every package must already be cached; name exactly what is not."""
        missing = self.missing(pkgs)
        if missing:
            names = ", ".join(
                f"{p.name}={p.version} ({p.deb_name}, sha256 {p.sha256[:12]}…)" for p in missing
            )
            raise InputError(
                f"offline: {len(missing)} package(s) not in the cache {self.root}: {names}",
                hint="run `hardbake fetch` online first, or drop --offline",
            )

    def fetch(
        self,
        pkgs: Iterable[LockedPackage],
        downloader: Downloader,
        url_of: Callable[[LockedPackage], str],
        *,
        progress: ProgressSink | None = None,
        workers: int = 8,
    ) -> FetchResult:
        """Download what is missing, in parallel; each file verified before it enters."""
        pkgs = list(pkgs)
        todo = self.missing(pkgs)
        cached = tuple(p for p in pkgs if p not in todo)
        sink = progress or ProgressSink()
        sink.start(sum(p.size for p in todo), len(todo))
        lock = threading.Lock()
        done_bytes = [0]

        def one(p: LockedPackage) -> None:
            def adv(n: int) -> None:
                with lock:
                    done_bytes[0] += n
                    sink.advance(n)

            downloader.fetch(
                url_of(p),
                self.path(p),
                Expected(p.sha256, p.size),
                what=f"{p.name} {p.version}",
                progress=adv,
            )
            with lock:
                sink.finished(p)

        if todo:
            with ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo)))) as ex:
                # list() re-raises the first failure; the others finish or fail on their own
                list(ex.map(one, todo))
        return FetchResult(tuple(todo), cached, done_bytes[0])


def url_resolver(repos: Mapping[str, str]) -> Callable[[LockedPackage], str]:
    """Map a locked package to a URL through the logical repo name -> base URI table."""

    def url_of(p: LockedPackage) -> str:
        try:
            base = repos[p.repo]
        except KeyError:
            raise InputError(
                f"lock names repository {p.repo!r} for {p.name}, which is not configured",
                hint="pass the repository with --repo, or re-lock",
            ) from None
        return f"{base.rstrip('/')}/{p.filename}"

    return url_of
