"""`hardbake pull REF oci:DIR:TAG`: copy an image, with its referrers, from a registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hardbake.cli import transfer
from hardbake.cli.output import pick_format
from hardbake.cli.supplychain import PASSWORD_HELP, USERNAME_HELP
from hardbake.errors import InputError
from hardbake.oci.reference import RegistryRef, parse_image_ref


def pull(
    source: Annotated[
        str, typer.Argument(help="Registry reference: REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:...")
    ],
    destination: Annotated[
        str | None,
        typer.Argument(help="Where: oci:DIR[:TAG] (or docker-archive:FILE, docker-daemon:NAME:TAG)."),
    ] = None,
    output_ref: Annotated[str | None, typer.Option("-o", "--output", help="Same as DESTINATION.")] = None,
    platform: Annotated[str | None, typer.Option("--platform", help=transfer.PLATFORM_HELP)] = None,
    no_referrers: Annotated[bool, typer.Option("--no-referrers", help=transfer.NO_REFERRERS_HELP)] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help=transfer.INSECURE_HELP)] = False,
    username: Annotated[str | None, typer.Option("--username", help=USERNAME_HELP)] = None,
    password: Annotated[str | None, typer.Option("--password", help=PASSWORD_HELP)] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=32, help=transfer.JOBS_HELP)] = 4,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write the report to FILE.")] = None,
) -> None:
    """Pull SOURCE from a registry into DESTINATION: every platform of an index, every blob
    checked against its digest as it streams in (a lost connection resumes where it
    stopped), then the signatures, attestations and SBOMs that refer to it, so that
    `hardbake verify oci:DIR:TAG` works offline. --username/--password log in to the source
    registry only."""
    chosen = pick_format(fmt, json_flag)
    if destination and output_ref and destination != output_ref:
        raise InputError("give the destination once: as DESTINATION or as -o, not both")
    target = destination or output_ref
    if not target:
        raise InputError("pull needs a destination", hint="e.g. hardbake pull REGISTRY/REPO:TAG oci:DIR:TAG")
    src, dst = parse_image_ref(source), parse_image_ref(target)
    if not isinstance(src, RegistryRef):
        raise InputError(
            f"pull reads from a registry, not {source!r}",
            hint="use `hardbake copy SRC DST` to copy between other transports",
        )
    access = transfer.access_for(src, insecure, username, password, jobs)
    transfer.run(
        src, dst, access, platform=platform, referrers=not no_referrers, jobs=jobs, fmt=chosen, output=report
    )


def register(app: typer.Typer) -> None:
    app.command("pull")(pull)
