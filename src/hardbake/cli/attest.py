"""`hardbake attest IMAGE --key KEY --predicate-type TYPE --predicate FILE`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hardbake.attest.predicates import ALIASES, check_body, predicate_type
from hardbake.attest.signing import attest_image
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


def attest(
    image: Annotated[str, typer.Argument(help=IMAGE_HELP)],
    key: Annotated[Path, typer.Option("--key", help="Private key: cosign.key or a PEM (PKCS#8/SEC1) key.")],
    ptype: Annotated[
        str,
        typer.Option(
            "--predicate-type", help=f"Predicate type URI, or one of: {', '.join(sorted(ALIASES))}."
        ),
    ],
    predicate: Annotated[
        Path, typer.Option("--predicate", help="JSON file holding the predicate (an object).")
    ],
    no_referrers: Annotated[
        bool, typer.Option("--no-referrers", help="Write only the cosign .att tag.")
    ] = False,
    identity: Annotated[str | None, typer.Option("--identity", help=IDENTITY_HELP)] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help=INSECURE_HELP)] = False,
    username: Annotated[str | None, typer.Option("--username", help=USERNAME_HELP)] = None,
    password: Annotated[str | None, typer.Option("--password", help=PASSWORD_HELP)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
) -> None:
    """Attach a signed in-toto v1 Statement (DSSE envelope) about the manifest IMAGE resolves
    to: in the `sha256-<hex>.att` tag (what `cosign verify-attestation` reads) and as an OCI
    1.1 referrer."""
    chosen = pick_format(fmt, json_flag)
    uri = predicate_type(ptype)
    try:
        body = json.loads(predicate.read_bytes())
    except OSError as e:
        raise InputError(f"cannot read predicate {predicate}: {e.strerror}") from e
    except ValueError as e:
        raise InputError(f"predicate {predicate} is not JSON: {e}") from e
    if not isinstance(body, dict):
        raise InputError(f"predicate {predicate} must be a JSON object, found {type(body).__name__}")
    check_body(uri, body)
    signer = signing_key(key)
    with http_client() as http:
        opened = open_image(image, http, insecure, username, password, identity)
        done = attest_image(opened.store, opened.reference, signer, uri, body, referrers=not no_referrers)
    if chosen == "json":
        out.print(dumps_json(done.__dict__), end="", highlight=False)
    else:
        err.print(f"attested {uri} for {opened.store.identity}@{done.subject} -> tag {done.tag}")


def register(app: typer.Typer) -> None:
    app.command("attest")(attest)
