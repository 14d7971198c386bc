"""`hardbake key generate`: an ECDSA P-256 key pair as cosign.key / cosign.pub."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hardbake.attest.keys import SigningKey, write_key_pair
from hardbake.cli.output import err
from hardbake.cli.supplychain import key_password

key_app = typer.Typer(help="Manage signing keys (cosign-compatible).", no_args_is_help=True)


@key_app.command("generate")
def generate(
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Directory for cosign.key and cosign.pub.")
    ] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing key pair.")] = False,
) -> None:
    """Generate an ECDSA P-256 key pair: DIR/cosign.key (encrypted with the password from
    HARDBAKE_KEY_PASSWORD or a prompt, mode 0600) and DIR/cosign.pub (PEM), in the formats
    cosign reads (`cosign sign --key cosign.key`, `cosign verify --key cosign.pub`)."""
    password = key_password(confirm=True)
    priv, pub = write_key_pair(SigningKey.generate(), out_dir, password, overwrite=force)
    err.print(f"private key written to {priv} (mode 0600)\npublic key written to {pub}")


def register(app: typer.Typer) -> None:
    app.add_typer(key_app, name="key")
