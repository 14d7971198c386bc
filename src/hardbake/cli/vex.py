"""`hardbake vex IMAGE`: an OpenVEX document for an image, from evidence only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from hardbake.cli.output import emit, err
from hardbake.cli.sbom import LOCK_HELP
from hardbake.debian.cache import PackageCache
from hardbake.errors import InputError
from hardbake.paths import cache_dir
from hardbake.sbom import Ecosystem, inventories, parse_platforms
from hardbake.sbom.exclusions import read_lock
from hardbake.sbom.source import ALL
from hardbake.vuln import VulnDB, produce_openvex, scan
from hardbake.vuln.imagechangelogs import ChangelogReader, absent_sources, gather, import_evidence
from hardbake.vuln.target import scan_target


def register(app: typer.Typer) -> None:
    app.command("vex")(vex_cmd)


def vex_cmd(
    image: Annotated[
        str, typer.Argument(help="oci:DIR[:TAG], docker-archive:FILE[:NAME:TAG] or docker-daemon:NAME:TAG.")
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the document to FILE (atomically).")
    ] = None,
    lock: Annotated[
        Path | None,
        typer.Option(
            "--lock",
            help=LOCK_HELP + " Its .debs in the package cache give changelogs the image no longer holds.",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="An image this one was slimmed from (e.g. the standard image of the family): its "
            "Debian source packages with no binary here are stated not_affected / component_not_present.",
        ),
    ] = None,
    author: Annotated[str, typer.Option("--author", help="The document's author.")] = "hardbake",
    platform: Annotated[
        str | None, typer.Option("--platform", help="Platform of a multi-arch image (default: this host's).")
    ] = None,
    db_path: Annotated[
        Path | None, typer.Option("--db", help="Database file (default $HARDBAKE_CACHE/vuln/vuln.sqlite).")
    ] = None,
) -> None:
    """Write OpenVEX v0.2.0 for IMAGE: `fixed` where the package's own changelog (read from
    the image, or from the cached .deb named by --lock) or the tracker's fixed version shows
    the installed version contains the fix; `not_affected` + `component_not_present` only for
    source packages of which no binary is in the image (dropped or filtered out per --lock,
    or present in --baseline); Debian's triage as status notes, never an invented
    justification."""
    platforms = parse_platforms(platform)
    if platforms == ALL or (isinstance(platforms, tuple) and len(platforms) > 1):
        raise InputError("a VEX document here covers one platform", hint="name one with --platform")
    arch_lock = read_lock(lock) if lock is not None else None
    (one,) = inventories(image, platforms, lock=arch_lock, extra=[ChangelogReader()])
    inv = one.inventory
    single = arch_lock.get(one.platform.debian_arch) if isinstance(arch_lock, dict) else arch_lock
    candidates: set[str] = {e.name for e in inv.excluded}
    if single is not None:
        locked = {p.name: p.source for p in single.packages}
        candidates |= {locked.get(e.name, e.name) for e in inv.excluded}
    if baseline is not None:
        (base,) = inventories(baseline, platforms, ecosystems=(Ecosystem.deb,))
        candidates |= {p.source or p.name for p in base.inventory.by_ecosystem(Ecosystem.deb)}
    absent = absent_sources(inv, candidates)
    target = scan_target(inv, ref=image)
    with VulnDB.open(db_path) as db:
        ev = gather(inv, one.collected, lock=single, cache=PackageCache(cache_dir()))
        n, warns = import_evidence(db, ev)
        err.print(
            f"changelog evidence: {n} source package(s); {len(ev.missing)} without a changelog"
            + ("" if single is not None else " (pass --lock to read them from cached .debs)")
        )
        for w in warns + list(inv.warnings):
            err.print(f"warning: {escape(w)}")
        report = scan(target, db)
        doc = produce_openvex(report, target, db, author=author, absent_sources=absent)
    for w in report.warnings:
        err.print(f"warning: {escape(w)}")
    emit(json.dumps(doc, indent=2) + "\n", output)
