"""`hardbake verify IMAGE --key PUB [--require ...] [--builder-id ID]`: exit 0 only if all hold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from hardbake import paths
from hardbake.attest.dependencies import ArchiveDependencyCheck
from hardbake.attest.verify import VerifyPolicy, verify
from hardbake.cli.output import dumps_json, emit, out, pick_format
from hardbake.cli.supplychain import (
    IMAGE_HELP,
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
    image: Annotated[str, typer.Argument(help=IMAGE_HELP)],
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
            help="OpenPGP keyring of the archive keys you trust (e.g. "
            "/usr/share/keyrings/debian-archive-keyring.gpg): every .deb the provenance resolved "
            "must be listed, with its sha256, in a Packages index whose InRelease one of these "
            "keys signed. Implies a verified provenance.",
        ),
    ] = None,
    suite: Annotated[
        list[str] | None,
        typer.Option(
            "--suite",
            help="With --keyring: suites to look .debs up in when the provenance does not name "
            "their suite (comma-separated or repeated).",
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
    """Verify IMAGE (in a registry or an OCI layout): the signature over the digest it
    resolves to (and every platform manifest of an index), each required attestation's DSSE
    signature and subject digest, the provenance's builder id, with --keyring that every
    resolved .deb is in an archive index signed by a trusted key, and that every blob
    matches its digest. Exit 0 only if all hold; 1 with the failing checks listed otherwise."""
    chosen = pick_format(fmt, json_flag)
    if suite and keyring is None:
        raise InputError("--suite only means something with --keyring")
    deps = (
        ArchiveDependencyCheck(keyring, paths.cache_dir(), suites=_split(suite or []))
        if keyring is not None
        else None
    )
    policy = VerifyPolicy(
        verifying_key(key),
        require=_split(require or []),
        builder_id=builder_id,
        check_content=not no_content,
        dependency_check=deps,
    )
    try:
        with http_client() as http:
            opened = open_image(image, http, insecure, username, password)
            result = verify(opened.store, opened.reference, policy)
    finally:
        if deps is not None:
            deps.close()
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
