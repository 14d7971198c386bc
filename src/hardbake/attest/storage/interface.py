"""The storage backend the signing and verify code talks to.

A backend is one repository of content-addressed manifests and blobs with tags: a registry
repository (`registry.py`) or an OCI image layout (`layout.py`). The cosign tag scheme and OCI 1.1
referrers are written in terms of these few operations, so a backend need not know them.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from hardbake.errors import InputError


@dataclass(frozen=True)
class StoredManifest:
    """A manifest or index exactly as stored, with its media type and digest."""

    data: bytes
    media_type: str
    digest: str

    def json(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.data)
        except ValueError as e:
            raise InputError(f"manifest {self.digest} is not JSON: {e}") from e
        if not isinstance(doc, dict):
            raise InputError(f"manifest {self.digest} is not a JSON object")
        return doc

    def descriptor(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}


class ArtifactStore(ABC):
    """One repository: manifests by tag or digest, blobs by digest, referrers by subject."""

    @property
    @abstractmethod
    def identity(self) -> str:
        """The repository as an image name (`host/repo`): cosign's docker-reference."""

    @abstractmethod
    def find_manifest(self, reference: str) -> StoredManifest | None:
        """The manifest a tag or digest names (bytes verified against the digest), or None."""

    @abstractmethod
    def fetch_blob(self, digest: str) -> bytes:
        """Blob bytes, verified against `digest`."""

    @abstractmethod
    def verify_blob(self, digest: str) -> None:
        """Read blob `digest` through and check its digest (raises VerificationError)."""

    def has_blob(self, digest: str) -> bool:
        """Whether blob `digest` is stored (False when the backend cannot tell cheaply)."""
        return False

    @abstractmethod
    def push_blob(self, data: bytes) -> dict[str, Any]:
        """Store `data`; returns {digest, size}."""

    @abstractmethod
    def push_manifest(self, data: bytes, media_type: str, tag: str | None = None) -> StoredManifest:
        """Store a manifest (tagged, or by digest only). A manifest with `subject` must become
        visible to `referrers(subject)`."""

    @abstractmethod
    def referrers(self, digest: str, artifact_type: str | None = None) -> list[dict[str, Any]]:
        """Descriptors of manifests whose subject is `digest`."""

    def resolve(self, reference: str) -> StoredManifest:
        """Like find_manifest, but a missing reference is an InputError."""
        found = self.find_manifest(reference)
        if found is None:
            raise InputError(f"{self.identity}: no manifest for {reference!r}")
        return found
