"""`hardbake push SRC-REF REGISTRY/REPO:TAG`: copy an image, with its referrers, to a registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hardbake.cli import transfer
from hardbake.cli.output import pick_format
from hardbake.cli.supplychain import PASSWORD_HELP, USERNAME_HELP
from hardbake.errors import InputError
from hardbake.oci.reference import RegistryRef, parse_image_ref


def push(
    source: Annotated[
        str,
        typer.Argument(
            help="What to push: oci:DIR[:TAG], docker-archive:FILE, docker-daemon:NAME:TAG or a registry ref."
        ),
    ],
    destination: Annotated[
        str, typer.Argument(help="Where: REGISTRY/REPO:TAG (or REGISTRY/REPO@sha256:...).")
    ],
    platform: Annotated[str | None, typer.Option("--platform", help=transfer.PLATFORM_HELP)] = None,
    no_referrers: Annotated[bool, typer.Option("--no-referrers", help=transfer.NO_REFERRERS_HELP)] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help=transfer.INSECURE_HELP)] = False,
    username: Annotated[str | None, typer.Option("--username", help=USERNAME_HELP)] = None,
    password: Annotated[str | None, typer.Option("--password", help=PASSWORD_HELP)] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=32, help=transfer.JOBS_HELP)] = 4,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the report to FILE.")] = None,
) -> None:
    """Push SOURCE to a registry: every platform of an index, each blob checked (skipped when
    the repository has it, mounted from another repository of the same registry, else
    uploaded in resumable chunks), then the manifests and the tag; then the signatures,
    attestations and SBOMs that refer to it (cosign's sha256-<hex>.sig/.att tags and OCI 1.1
    referrers, with the sha256-<hex> fallback index where the registry has no referrers API).
    --username/--password log in to the destination registry only."""
    chosen = pick_format(fmt, json_flag)
    src, dst = parse_image_ref(source), parse_image_ref(destination)
    if not isinstance(dst, RegistryRef):
        raise InputError(
            f"push needs a registry destination, not {destination!r}",
            hint="use `hardbake copy SRC DST` to copy between other transports",
        )
    access = transfer.access_for(dst, insecure, username, password, jobs)
    transfer.run(
        src, dst, access, platform=platform, referrers=not no_referrers, jobs=jobs, fmt=chosen, output=output
    )


def register(app: typer.Typer) -> None:
    app.command("push")(push)
