"""`hardbake sign IMAGE --key KEY`: a cosign-compatible signature over the manifest digest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hardbake.attest.signing import SignOptions, sign_image
from hardbake.cli.output import dumps_json, err, out, pick_format
from hardbake.cli.supplychain import (
    IDENTITY_HELP,
    IMAGE_HELP,
    INSECURE_HELP,
    PASSWORD_HELP,
    USERNAME_HELP,
    http_client,
    open_image,
    signing_key,
)
from hardbake.errors import InputError


def _annotations(pairs: list[str]) -> dict[str, str]:
    result = {}
    for p in pairs:
        k, sep, v = p.partition("=")
        if not sep or not k:
            raise InputError(f"annotation {p!r} is not KEY=VALUE")
        result[k] = v
    return result


def sign(
    image: Annotated[str, typer.Argument(help=IMAGE_HELP)],
    key: Annotated[Path, typer.Option("--key", help="Private key: cosign.key or a PEM (PKCS#8/SEC1) key.")],
    annotation: Annotated[
        list[str] | None, typer.Option("-a", "--annotation", help="KEY=VALUE added to the signed payload.")
    ] = None,
    no_recursive: Annotated[
        bool, typer.Option("--no-recursive", help="For an index: sign the index only.")
    ] = False,
    no_referrers: Annotated[
        bool, typer.Option("--no-referrers", help="Write only the cosign .sig tag.")
    ] = False,
    identity: Annotated[str | None, typer.Option("--identity", help=IDENTITY_HELP)] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help=INSECURE_HELP)] = False,
    username: Annotated[str | None, typer.Option("--username", help=USERNAME_HELP)] = None,
    password: Annotated[str | None, typer.Option("--password", help=PASSWORD_HELP)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
) -> None:
    """Sign the manifest IMAGE resolves to, as `cosign sign --key` would: a simple-signing
    payload in the `sha256-<hex>.sig` tag (what `cosign verify --key` reads), and an OCI 1.1
    referrer too. An index is signed together with every platform manifest it lists."""
    chosen = pick_format(fmt, json_flag)
    signer = signing_key(key)
    options = SignOptions(
        _annotations(annotation or []), recursive=not no_recursive, referrers=not no_referrers
    )
    with http_client() as http:
        opened = open_image(image, http, insecure, username, password, identity)
        done = sign_image(opened.store, opened.reference, signer, options)
    if chosen == "json":
        out.print(dumps_json([a.__dict__ for a in done]), end="", highlight=False)
        return
    for a in done:
        err.print(
            f"signed {opened.store.identity}@{a.subject} -> tag {a.tag}"
            + (" + referrer" if a.referrer else "")
        )


def register(app: typer.Typer) -> None:
    app.command("sign")(sign)
