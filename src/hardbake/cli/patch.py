"""`hardbake patch IMAGE -o REF`: fix an image's Debian packages in place, in one new layer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hardbake.cli import archive_options as ao
from hardbake.cli.output import dumps_json, emit, err, out, pick_format


def _render(report: Any) -> None:
    out.print(
        f"[bold]{escape(report.image)}[/] ({report.platform}, {report.distro}, dpkg {report.database}) -> "
        f"{escape(report.output or '(not written)')}"
    )
    if report.updated:
        t = Table(title=f"patched: one layer {report.layer['digest'][:19]}… ({report.layer['size']:,} bytes)")
        for c in ("package", "from", "to", "suite", "files", "removed", "fixes"):
            t.add_column(c)
        for u in report.updated:
            t.add_row(u.name, u.old, u.new, u.suite, str(u.files), str(u.whiteouts), ", ".join(u.vulns_fixed))
        out.print(t)
    else:
        out.print("nothing to patch: no installed package has a newer version in " + ", ".join(report.suites))
    for u in report.updated:
        for c in u.kept_conffiles:
            err.print(
                f"[yellow]{u.name}: kept the image's modified {c} (the new default was not installed)[/]"
            )
    for r in report.refused:
        err.print(f"[red]refused[/] {r.name} {r.old} -> {r.new}: " + "; ".join(escape(x) for x in r.reasons))
    if report.vulns_before is not None:
        out.print(f"open vulnerabilities: {report.vulns_before} before, {report.vulns_after} after")
    out.print(f"digest {report.base_digest} -> {report.digest}")


def patch(
    image: Annotated[
        str,
        typer.Argument(
            help="The image: oci:DIR[:TAG], docker-archive:FILE, docker-daemon:NAME:TAG or REGISTRY/REPO:TAG."
        ),
    ],
    output: Annotated[
        str, typer.Option("-o", "--output", help="Where the patched image goes (any transport, as IMAGE).")
    ],
    lock_suites: Annotated[
        list[str] | None,
        typer.Option(
            "--lock-suites",
            help="Suites to take newer versions from, in priority order (default: the image's "
            "<codename>-security and <codename>-updates; add <codename> for point releases).",
        ),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Patch only these packages (repeatable).")
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option("--platform", help="For a multi-platform IMAGE: which one (default: this host's)."),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", help="Vulnerability DB for the CVEs each update fixes (default: the cache's, if any)."
        ),
    ] = None,
    ignore_errors: Annotated[
        bool,
        typer.Option(
            "--ignore-errors", help="Patch what can be patched; report the refused packages (exit 0)."
        ),
    ] = False,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow plain HTTP to a non-loopback registry.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="Also write the JSON report to FILE.")
    ] = None,
    mirror: str | None = ao.MIRROR,
    security_mirror: str | None = ao.SECURITY_MIRROR,
    keyring: Path | None = ao.KEYRING,
) -> None:
    """Update a Debian-based image's packages that have newer (fixed) versions in the archive,
    without rebuilding it: one layer with the new files (whiteouts for files the old version
    had and the new one lacks) and the updated dpkg records, written to -o.

    No maintainer script runs; a package whose scripts, new dependencies, Pre-Depends,
    conflicts or files cannot be reproduced by a layer is refused with the reason (see
    docs/patching.md). Exit 0 patched or nothing to patch; 1 packages refused (nothing
    written, unless --ignore-errors); 2 bad input; 3 network, integrity or engine problems.
    """
    from hardbake.cli.archive_options import make_client, split_suites
    from hardbake.oci import Platform
    from hardbake.oci.reference import parse_image_ref
    from hardbake.oci.remote import RegistryAccess
    from hardbake.oci.transport import open_image, write_image
    from hardbake.patch.apply import patch_image
    from hardbake.vuln import VulnDB
    from hardbake.vuln.db import default_path

    chosen = pick_format(fmt, json_flag)
    src, dst = parse_image_ref(image), parse_image_ref(output)
    client = make_client(mirror, security_mirror, keyring, None, False, refresh=True)
    vuln_db = VulnDB.open(db) if db is not None or default_path().is_file() else None
    try:
        with RegistryAccess(insecure=insecure) as access, err.status("patching") as status:
            img = open_image(src, Platform.parse(platform) if platform else None, access=access)
            try:
                patched, report = patch_image(
                    img, client, name=image, suites=split_suites(lock_suites or []) or None,
                    only=only or (), vuln_db=vuln_db, ignore_errors=ignore_errors,
                    progress=lambda s: status.update(escape(s)),
                )  # fmt: skip
                status.update(f"writing {escape(output)}")
                write_image(patched, dst, access=access)
            finally:
                img.close()
            report.output = output
    finally:
        if vuln_db is not None:
            vuln_db.close()
    if report_file is not None:
        emit(dumps_json(report.to_json()), report_file)
    if chosen == "json":
        emit(dumps_json(report.to_json()), None)
    else:
        _render(report)


def register(app: typer.Typer) -> None:
    app.command("patch")(patch)
