"""From an image reference to the storage backend that holds it (explicit dispatch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

import httpx

from hardbake.attest.storage.interface import ArtifactStore
from hardbake.attest.storage.layout import LayoutStore
from hardbake.attest.storage.registry import RegistryStore
from hardbake.errors import InputError
from hardbake.oci.reference import ArchiveRef, DaemonRef, ImageRef, LayoutRef, RegistryRef, parse_image_ref
from hardbake.oci.registry import CredentialSource, RegistryClient, resolve_credentials
from hardbake.oci.remote import api_host


@dataclass(frozen=True)
class Opened:
    store: ArtifactStore
    reference: str  # tag or digest inside the store


def open_registry(
    ref: RegistryRef, http: httpx.Client, credentials: CredentialSource | None = None, insecure: bool = False
) -> Opened:
    creds = credentials if credentials is not None else resolve_credentials(ref.registry)
    client = RegistryClient(api_host(ref.registry), http, creds, insecure=insecure)
    reference = ref.digest or ref.tag or "latest"
    return Opened(RegistryStore(client, ref.repository, display=ref.registry), reference)


def open_layout(ref: LayoutRef, identity: str | None = None) -> Opened:
    """`oci:DIR:TAG`, or `oci:DIR` when the layout holds exactly one image."""
    store = LayoutStore(ref.path, identity)
    return Opened(store, ref.tag or store.default_reference())


def open_ref(
    ref: ImageRef,
    http: httpx.Client,
    credentials: CredentialSource | None = None,
    insecure: bool = False,
    identity: str | None = None,
) -> Opened:
    """The backend that holds `ref` and the reference to resolve in it.

    `identity` names a layout's image in signatures (see `LayoutStore`); registries name
    their images themselves."""
    match ref:
        case RegistryRef():
            return open_registry(ref, http, credentials, insecure)
        case LayoutRef():
            return open_layout(ref, identity)
        case ArchiveRef() | DaemonRef():
            raise InputError(
                f"{ref}: signatures live in a registry or an OCI layout, not in {type(ref).__name__}",
                hint="copy the image to a layout (hardbake copy SRC oci:DIR:TAG) or push it to a registry",
            )
        case _:
            assert_never(ref)


def open_store(
    text: str,
    http: httpx.Client,
    credentials: CredentialSource | None = None,
    insecure: bool = False,
    identity: str | None = None,
) -> Opened:
    """The backend for a reference string: a registry reference or `oci:DIR[:TAG]`."""
    return open_ref(parse_image_ref(text), http, credentials, insecure, identity)
