"""From an image reference to the storage backend that holds it (explicit dispatch)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from hardbake.attest.storage.interface import ArtifactStore
from hardbake.attest.storage.registry import RegistryStore
from hardbake.errors import InputError
from hardbake.oci.reference import ArchiveRef, DaemonRef, ImageRef, LayoutRef, RegistryRef, parse_image_ref
from hardbake.oci.registry import CredentialSource, RegistryClient, resolve_credentials

#: The API host of Docker Hub (the name `docker.io` has no registry API of its own).
_API_HOST = {"docker.io": "registry-1.docker.io"}


@dataclass(frozen=True)
class Opened:
    store: ArtifactStore
    reference: str  # tag or digest inside the store


def open_registry(
    ref: RegistryRef, http: httpx.Client, credentials: CredentialSource | None = None, insecure: bool = False
) -> Opened:
    host = _API_HOST.get(ref.registry, ref.registry)
    creds = credentials if credentials is not None else resolve_credentials(ref.registry)
    client = RegistryClient(host, http, creds, insecure=insecure)
    reference = ref.digest or ref.tag or "latest"
    return Opened(RegistryStore(client, ref.repository, display=ref.registry), reference)


def open_store(
    text: str, http: httpx.Client, credentials: CredentialSource | None = None, insecure: bool = False
) -> Opened:
    """The backend for `text`: a registry reference now; `oci:DIR` once layouts land."""
    ref: ImageRef = parse_image_ref(text)
    match ref:
        case RegistryRef():
            return open_registry(ref, http, credentials, insecure)
        case LayoutRef():
            raise InputError(
                f"{text}: signing and verifying OCI layouts is not supported yet",
                hint="push the image to a registry first, or sign it there",
            )
        case ArchiveRef() | DaemonRef():
            raise InputError(
                f"{text}: signatures live in a registry or an OCI layout, not in {type(ref).__name__}",
                hint="push the image to a registry and sign it there",
            )
