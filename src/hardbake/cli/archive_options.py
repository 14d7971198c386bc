"""Options shared by every verb that reads Debian's archive (resolve, fetch, lock, build)."""

from __future__ import annotations

from pathlib import Path

import typer

from hardbake import paths
from hardbake.debian.client import DebianClient, http_client
from hardbake.debian.sources import default_mirrors, parse_repo_option

MIRROR = typer.Option(
    None,
    "--mirror",
    envvar="HARDBAKE_MIRROR",
    help="Debian mirror URL (default: from the machine's apt sources).",
)
SECURITY_MIRROR = typer.Option(
    None,
    "--security-mirror",
    envvar="HARDBAKE_SECURITY_MIRROR",
    help="Debian security mirror URL (default: from the machine's apt sources).",
)
KEYRING = typer.Option(
    None,
    "--keyring",
    envvar="HARDBAKE_KEYRING",
    help="OpenPGP keyring the mirrors must be signed with (default: Debian's archive keyring).",
)
REPO = typer.Option(
    None,
    "--repo",
    help="Extra apt repository 'URI SUITE [COMPONENT...] [keyring=FILE]' (repeatable).",
)
OFFLINE = typer.Option(False, "--offline", help="Use only the lock and the cache; never touch the network.")
REFRESH = typer.Option(
    False, "--refresh", help="Ask the mirror for new indices even if the cached ones are recent."
)
ARCH = typer.Option("amd64", "--arch", help="Debian architecture: amd64, arm64, ...")
SUITE = typer.Option(
    ["trixie"],
    "--suite",
    "-s",
    help="Suite(s) in priority order. A single codename or distro (trixie, debian-12) means "
    "its -security, -updates and release suites.",
)


def make_client(
    mirror: str | None,
    security_mirror: str | None,
    keyring: Path | None,
    repos: list[str] | None,
    offline: bool,
    refresh: bool = False,
) -> DebianClient:
    mirrors = default_mirrors(mirror=mirror, security_mirror=security_mirror, keyring=keyring)
    extra = tuple(parse_repo_option(r, name=f"repo{i}") for i, r in enumerate(repos or ()))
    return DebianClient(
        mirrors=mirrors,
        cache_root=paths.cache_dir(),
        http=None if offline else http_client(),
        offline=offline,
        extra=extra,
        max_age=0.0 if refresh else 300.0,
    )


def split_suites(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(s for s in v.replace(",", " ").split() if s)
    return out


def parse_drops(values: list[str] | None) -> dict[str, str]:
    """`--drop PKG=REASON` items."""
    from hardbake.errors import InputError

    drops: dict[str, str] = {}
    for v in values or ():
        name, sep, reason = v.partition("=")
        if not sep or not reason.strip():
            raise InputError(f"--drop {v!r}: expected PKG=REASON", hint="every drop needs a reason")
        drops[name.strip()] = reason.strip()
    return drops
