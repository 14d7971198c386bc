"""`hardbake copy SRC DST`: any transport to any transport, with the referrers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hardbake.cli import transfer
from hardbake.cli.output import pick_format
from hardbake.oci.reference import parse_image_ref


def copy(
    source: Annotated[
        str,
        typer.Argument(
            help="oci:DIR[:TAG], docker-archive:FILE, docker-daemon:NAME:TAG or REGISTRY/REPO:TAG."
        ),
    ],
    destination: Annotated[str, typer.Argument(help="Any of the same forms.")],
    platform: Annotated[str | None, typer.Option("--platform", help=transfer.PLATFORM_HELP)] = None,
    no_referrers: Annotated[bool, typer.Option("--no-referrers", help=transfer.NO_REFERRERS_HELP)] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help=transfer.INSECURE_HELP)] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=32, help=transfer.JOBS_HELP)] = 4,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the report to FILE.")] = None,
) -> None:
    """Copy an image between any two references (push and pull are this verb with a registry
    on one side): every platform of an index, every blob verified, then its signatures,
    attestations and SBOMs where both sides can hold them (registries and OCI layouts).
    Registry credentials come from HARDBAKE_REGISTRY_USERNAME/PASSWORD or
    ~/.docker/config.json; use push/pull for --username/--password."""
    chosen = pick_format(fmt, json_flag)
    src, dst = parse_image_ref(source), parse_image_ref(destination)
    access = transfer.access_for(None, insecure, None, None, jobs)
    transfer.run(
        src, dst, access, platform=platform, referrers=not no_referrers, jobs=jobs, fmt=chosen, output=output
    )


def register(app: typer.Typer) -> None:
    app.command("copy")(copy)
