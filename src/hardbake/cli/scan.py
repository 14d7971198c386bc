"""`hardbake scan IMAGE`: vulnerabilities of any image, Debian triage kept, VEX applied, CI gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from hardbake.cli.output import emit, err, out, pick_format
from hardbake.cli.sbom import LOCK_HELP
from hardbake.debian.cache import PackageCache
from hardbake.errors import GateFailed, InputError
from hardbake.paths import cache_dir
from hardbake.sbom import inventories, parse_platforms
from hardbake.sbom.exclusions import read_lock
from hardbake.sbom.source import ALL
from hardbake.vuln import RenderContext, Severity, State, VulnDB, parse_age, render, scan
from hardbake.vuln.imagechangelogs import ChangelogReader, gather, import_evidence
from hardbake.vuln.target import scan_target

FORMATS = ("table", "json", "sarif", "cyclonedx", "openvex")

DbOption = Annotated[
    Path | None, typer.Option("--db", help="Database file (default $HARDBAKE_CACHE/vuln/vuln.sqlite).")
]


def parse_states(values: list[str] | None) -> list[State]:
    return [State.parse(s) for v in values or () for s in v.split(",") if s.strip()]


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_cmd)


def scan_cmd(
    image: Annotated[
        str, typer.Argument(help="oci:DIR[:TAG], docker-archive:FILE[:NAME:TAG] or docker-daemon:NAME:TAG.")
    ],
    vex: Annotated[
        list[Path] | None,
        typer.Option("--vex", help="A VEX document to apply (OpenVEX, CycloneDX VEX, CSAF); repeatable."),
    ] = None,
    vex_trust: Annotated[
        list[str] | None,
        typer.Option(
            "--vex-trust",
            help="An author whose versionless or name-only statements apply (whole author, name or "
            "e-mail); repeatable. Untrusted authors only count with exact products.",
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a finding at or above this severity (negligible, low, medium, high, "
            "critical) remains after VEX and --ignore-state.",
        ),
    ] = None,
    ignore_state: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore-state",
            help="States the gate does not count, comma-separated or repeated: no-dsa, postponed, "
            "ignored, end-of-life, unimportant, undetermined, affected, fixed-available.",
        ),
    ] = None,
    unknown_as: Annotated[
        str, typer.Option("--unknown-as", help="Severity the gate reads `unknown` as (never silently low).")
    ] = "medium",
    fmt: Annotated[str, typer.Option("--format", help="table, json, sarif, cyclonedx or openvex.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the report to FILE (atomically).")
    ] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="Platform of a multi-arch image (default: this host's).")
    ] = None,
    changelogs: Annotated[
        bool,
        typer.Option(
            "--changelogs/--no-changelogs",
            help="Import the image's changelog.Debian.gz files (and, with --lock, those of the cached "
            ".debs) into the DB as evidence of fixes before matching.",
        ),
    ] = False,
    lock: Annotated[Path | None, typer.Option("--lock", help=LOCK_HELP)] = None,
    max_age: Annotated[
        str, typer.Option("--max-age", help="Report DB sources older than this (7d, 48h).")
    ] = "7d",
    db_path: DbOption = None,
) -> None:
    """Scan IMAGE's packages (the same inventory as `hardbake sbom`) against the local
    vulnerability DB (`hardbake db update`). Every Debian state stays distinct; an ecosystem
    with no feed is reported "not covered", never clean. Exit 1 when --fail-on fails."""
    chosen = pick_format(fmt, json_flag, FORMATS)
    fail = Severity.parse(fail_on) if fail_on else None
    unknown = Severity.parse(unknown_as)
    states = parse_states(ignore_state)
    platforms = parse_platforms(platform)
    if platforms == ALL or (isinstance(platforms, tuple) and len(platforms) > 1):
        raise InputError("a scan holds one platform", hint="name one with --platform (default: this host's)")
    arch_lock = read_lock(lock) if lock is not None else None
    extra = [ChangelogReader()] if changelogs else []
    (one,) = inventories(image, platforms, lock=arch_lock, extra=extra)
    inv = one.inventory
    target = scan_target(inv, ref=image)
    with VulnDB.open(db_path) as db:
        if changelogs:
            single = arch_lock.get(one.platform.debian_arch) if isinstance(arch_lock, dict) else arch_lock
            ev = gather(inv, one.collected, lock=single, cache=PackageCache(cache_dir()))
            n, warns = import_evidence(db, ev)
            err.print(f"changelog evidence: {n} source package(s), {len(ev.missing)} without a changelog")
            for w in warns:
                err.print(f"warning: {escape(w)}")
        report = scan(
            target,
            db,
            vex_docs=list(vex or ()),
            vex_trust=list(vex_trust or ()),
            fail_on=fail,
            ignore_states=states,
            unknown_as=unknown,
            max_age=parse_age(max_age),
        )
        text = render(report, chosen, RenderContext(target=target, db=db))
    for w in inv.warnings:
        err.print(f"warning: {escape(w)}")
    for w in report.warnings:
        err.print(f"warning: {escape(w)}")
    if chosen == "table" and output is None:
        out.print(text, end="", highlight=False, markup=False)
    else:
        emit(text, output)
    if report.gate.failed:
        assert fail is not None
        raise GateFailed(
            f"{len(report.gate.failing)} finding(s) at or above {fail.value} remain after VEX",
            hint="fix or upgrade the packages, add a VEX statement, or adjust --fail-on / --ignore-state",
        )
