"""`hardbake verify IMAGE --key PUB [--require ...] [--builder-id ID]`: exit 0 only if all hold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from hardbake.attest.verify import VerifyPolicy, verify
from hardbake.cli.output import dumps_json, emit, out, pick_format
from hardbake.cli.supplychain import (
    INSECURE_HELP,
    PASSWORD_HELP,
    USERNAME_HELP,
    http_client,
    open_image,
    verifying_key,
)
from hardbake.errors import InputError, VerificationError


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def verify_cmd(
    image: Annotated[str, typer.Argument(help="Registry reference: HOST/REPO:TAG or HOST/REPO@sha256:...")],
    key: Annotated[Path, typer.Option("--key", help="Public key (cosign.pub, PEM).")],
    require: Annotated[
        list[str] | None,
        typer.Option(
            "--require",
            help="Attestations that must be present and valid: sbom, provenance, vex, hardening, "
            "scan, spdx, cyclonedx or a predicate type URI; comma-separated or repeated.",
        ),
    ] = None,
    builder_id: Annotated[
        str | None, typer.Option("--builder-id", help="The builder id the provenance must name.")
    ] = None,
    keyring: Annotated[
        Path | None,
        typer.Option(
            "--keyring",
            help="Check resolved .debs against Packages indices signed by this keyring (not yet).",
        ),
    ] = None,
    no_content: Annotated[
        bool, typer.Option("--no-content", help="Skip re-hashing config and layer blobs.")
    ] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help=INSECURE_HELP)] = False,
    username: Annotated[str | None, typer.Option("--username", help=USERNAME_HELP)] = None,
    password: Annotated[str | None, typer.Option("--password", help=PASSWORD_HELP)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the report to FILE.")] = None,
) -> None:
    """Verify IMAGE: the signature over the digest it resolves to (and every platform
    manifest of an index), each required attestation's DSSE signature and subject digest,
    the provenance's builder id, and that every blob matches its digest. Exit 0 only if all
    hold; 1 with the failing checks listed otherwise."""
    chosen = pick_format(fmt, json_flag)
    if keyring is not None:
        raise InputError(
            "--keyring is not supported yet: checking resolved packages against signed archive "
            "indices arrives with the archive client"
        )
    policy = VerifyPolicy(
        verifying_key(key), require=_split(require or []), builder_id=builder_id, check_content=not no_content
    )
    with http_client() as http:
        opened = open_image(image, http, insecure, username, password)
        result = verify(opened.store, opened.reference, policy)
    if chosen == "json":
        emit(dumps_json(result.to_json()), output)
    else:
        table = Table(title=f"verify {escape(result.reference)}")
        for col in ("check", "result", "detail"):
            table.add_column(col)
        for c in result.checks:
            table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]FAIL[/]", escape(c.detail))
        out.print(table)
        if result.slsa_build_level is not None:
            out.print(f"SLSA Build level claimed by the provenance: L{result.slsa_build_level}")
    if not result.ok:
        failed = ", ".join(c.name for c in result.failures)
        raise VerificationError(f"verification of {result.reference} failed: {failed}")


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_cmd)
