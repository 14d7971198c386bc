"""The registry backend: one repository through `hardbake.oci.registry.RegistryClient`."""

from __future__ import annotations

import io
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
        class _Discard(io.RawIOBase):
            def writable(self) -> bool:
                return True

            def write(self, b: Any) -> int:
                return len(b)

            def seekable(self) -> bool:
                return True

            def seek(self, offset: int, whence: int = 0) -> int:
                return 0

            def tell(self) -> int:
                return 0

            def truncate(self, size: int | None = None) -> int:
                return 0

        self.client.fetch_blob_to(self.repository, digest, _Discard())  # type: ignore[arg-type]

    def push_blob(self, data: bytes) -> dict[str, Any]:
        d = self.client.push_blob(self.repository, data)
        return {"digest": d.digest, "size": d.size}

    def push_manifest(self, data: bytes, media_type: str, tag: str | None = None) -> StoredManifest:
        d = self.client.push_manifest(self.repository, data, media_type, tag)
        return StoredManifest(data, media_type, d.digest)

    def referrers(self, digest: str, artifact_type: str | None = None) -> list[dict[str, Any]]:
        return self.client.referrers(self.repository, digest, artifact_type)
