"""The registry backend: one repository through `hardbake.oci.registry.RegistryClient`."""

from __future__ import annotations

from typing import Any

from hardbake.attest.storage.interface import ArtifactStore, StoredManifest
from hardbake.oci.registry import RegistryClient


class RegistryStore(ArtifactStore):
    def __init__(self, client: RegistryClient, repository: str, display: str | None = None) -> None:
        self.client = client
        self.repository = repository
        self.display = display or client.registry  # docker.io rather than its API host

    @property
    def identity(self) -> str:
        return f"{self.display}/{self.repository}"

    def find_manifest(self, reference: str) -> StoredManifest | None:
        m = self.client.find_manifest(self.repository, reference)
        return StoredManifest(m.data, m.media_type, m.digest) if m else None

    def fetch_blob(self, digest: str) -> bytes:
        return self.client.fetch_blob(self.repository, digest)

    def verify_blob(self, digest: str) -> None:
        self.client.check_blob(self.repository, digest)

    def has_blob(self, digest: str) -> bool:
        return self.client.blob_exists(self.repository, digest) is not None

    def push_blob(self, data: bytes) -> dict[str, Any]:
        d = self.client.push_blob(self.repository, data)
        return {"digest": d.digest, "size": d.size}

    def push_manifest(self, data: bytes, media_type: str, tag: str | None = None) -> StoredManifest:
        d = self.client.push_manifest(self.repository, data, media_type, tag)
        return StoredManifest(data, media_type, d.digest)

    def referrers(self, digest: str, artifact_type: str | None = None) -> list[dict[str, Any]]:
        return self.client.referrers(self.repository, digest, artifact_type)
