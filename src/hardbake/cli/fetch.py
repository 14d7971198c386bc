"""`hardbake fetch`: download a closure or a lock's .debs into the verified package cache."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from hardbake.cli import archive_options as ao
from hardbake.cli.output import dumps_json, emit, err, out, pick_format
from hardbake.debian import lock as lockfile
from hardbake.debian.cache import ProgressSink
from hardbake.debian.lock import ArchLock, LockedPackage
from hardbake.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("fetch")(fetch_cmd)


class RichProgress(ProgressSink):
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("downloading", total=0)

    def start(self, total_bytes: int, count: int) -> None:
        self.progress.update(self.task, total=total_bytes, description=f"downloading {count} .debs")

    def advance(self, nbytes: int) -> None:
        self.progress.advance(self.task, nbytes)

    def finished(self, pkg: LockedPackage) -> None:
        pass


def fetch_cmd(
    packages: list[str] = typer.Argument(None, help="Packages to resolve and fetch (or use --lock)."),
    lock: Path | None = typer.Option(None, "--lock", help="Fetch exactly the packages of this lock file."),
    suite: list[str] = ao.SUITE,
    arch: str = ao.ARCH,
    drop: list[str] = typer.Option(None, "--drop", help="PKG=REASON: cut every dependency on PKG."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    json_: bool = typer.Option(False, "--json", help="Alias of --format json."),
    mirror: str | None = ao.MIRROR,
    security_mirror: str | None = ao.SECURITY_MIRROR,
    keyring: Path | None = ao.KEYRING,
    repo: list[str] = ao.REPO,
    offline: bool = ao.OFFLINE,
    refresh: bool = ao.REFRESH,
) -> None:
    """Download .debs into the cache (HARDBAKE_CACHE), each verified against its signed index.

    With --offline nothing is downloaded: the command checks that the cache holds every
    package of the lock and names each one that is missing (exit 2).
    """
    chosen = pick_format(fmt, json_)
    client = ao.make_client(mirror, security_mirror, keyring, repo, offline, refresh)
    if lock is not None:
        data = lockfile.read_json(lock)
        arches = data.get("arches")
        if isinstance(arches, dict):  # an image lock: every architecture
            locks = [ArchLock.from_json(v, str(lock)) for _, v in sorted(arches.items())]
        else:
            locks = [ArchLock.from_json(data, str(lock))]
    elif packages:
        locks = [client.lock(packages, ao.split_suites(suite), arch, ao.parse_drops(drop))]
    else:
        raise InputError("nothing to fetch", hint="name packages or pass --lock FILE")
    pkgs = [p for lk in locks for p in lk.packages]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        result = client.fetch(pkgs, RichProgress(progress))
    if chosen == "json":
        emit(
            dumps_json(
                {
                    "packages": [
                        {
                            "name": p.name,
                            "version": p.version,
                            "sha256": p.sha256,
                            "path": str(client.cache.path(p)),
                        }
                        for p in pkgs
                    ],
                    "downloaded": len(result.fetched),
                    "cached": len(result.cached),
                    "bytes_downloaded": result.bytes_downloaded,
                }
            ),
            None,
        )
    else:
        total = sum(p.size for p in pkgs)
        out.print(
            f"{len(pkgs)} packages ({total:,} bytes) verified in {client.cache.root}: "
            f"{len(result.fetched)} downloaded, {len(result.cached)} already cached"
        )
