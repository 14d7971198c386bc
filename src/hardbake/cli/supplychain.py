"""What the supply-chain verbs (key, sign, attest, verify) share: passwords, keys, stores.

The key password comes from `HARDBAKE_KEY_PASSWORD` or a hidden prompt on a terminal; it is
never echoed, logged or put in an error message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import typer

from hardbake.attest.keys import SigningKey, VerifyingKey, load_private_key, load_public_key
from hardbake.attest.storage.open import Opened, open_store
from hardbake.errors import InputError
from hardbake.oci.reference import RegistryRef, parse_image_ref
from hardbake.oci.registry import CredentialSource, resolve_credentials

PASSWORD_ENV = "HARDBAKE_KEY_PASSWORD"  # noqa: S105 - a variable name


def key_password(confirm: bool) -> bytes:
    """The key password from the environment, else a hidden prompt (terminals only)."""
    value = os.environ.get(PASSWORD_ENV)
    if value is not None:
        return value.encode()
    if not sys.stdin.isatty():
        raise InputError(
            "the private key needs a password and there is no terminal to ask for it",
            hint=f"set {PASSWORD_ENV}",
        )
    pw: str = typer.prompt("Key password", hide_input=True, confirmation_prompt=confirm, err=True)
    return pw.encode()


def read_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read key {path}: {e.strerror}") from e


def signing_key(path: Path) -> SigningKey:
    data = read_key_file(path)
    encrypted = b"ENCRYPTED" in data.split(b"\n", 1)[0]
    return load_private_key(data, key_password(False) if encrypted else None, where=str(path))


def verifying_key(path: Path) -> VerifyingKey:
    return load_public_key(read_key_file(path), where=str(path))


def http_client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0), headers={"User-Agent": "hardbake"})


def open_image(
    text: str,
    http: httpx.Client,
    insecure: bool,
    username: str | None,
    password: str | None,
    identity: str | None = None,
) -> Opened:
    ref = parse_image_ref(text)
    creds: CredentialSource | None = None
    if isinstance(ref, RegistryRef):
        creds = resolve_credentials(ref.registry, username, password)
        if identity is not None:
            raise InputError(
                "--identity names an image in an OCI layout; a registry image is named by its repository"
            )
    return open_store(text, http, creds, insecure, identity)


IMAGE_HELP = (
    "The image: REGISTRY/REPO:TAG, REGISTRY/REPO@sha256:..., or an OCI layout oci:DIR[:TAG] "
    "(signatures stored in the layout, carried along by push)."
)
IDENTITY_HELP = (
    "For oci:DIR images: the name the image will be published under (cosign's "
    "docker-reference in the signed payload), e.g. registry.example/team/app. Default: oci:<dir name>."
)


INSECURE_HELP = "Allow plain HTTP to a non-loopback registry (loopback registries always may use it)."
USERNAME_HELP = "Registry username (else HARDBAKE_REGISTRY_USERNAME, else ~/.docker/config.json auths)."
PASSWORD_HELP = "Registry password (prefer HARDBAKE_REGISTRY_PASSWORD: arguments are visible to other users)."  # noqa: S105
