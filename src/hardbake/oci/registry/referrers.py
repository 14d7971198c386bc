"""OCI 1.1 referrers: the API (`GET /v2/<name>/referrers/<digest>`) and its tag fallback.

Distribution spec 1.1, "Listing Referrers" and "Referrers Tag Schema": a registry without
the API answers 404; clients then read, and on push maintain, an image index tagged
`<alg>-<ref>` (`sha256-<hex>`) whose `manifests` list the referrers' descriptors with their
`artifactType` and `annotations`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hardbake.oci.registry import digests, mediatypes
from hardbake.oci.registry.errors import raise_for

if TYPE_CHECKING:
    from hardbake.oci.registry.client import Descriptor, RegistryClient


def _artifact_type(doc: dict[str, Any]) -> str | None:
    """artifactType, else the config media type (image spec 1.1 says to use it then)."""
    at = doc.get("artifactType")
    if isinstance(at, str):
        return at
    cfg = doc.get("config")
    if isinstance(cfg, dict) and isinstance(cfg.get("mediaType"), str):
        return str(cfg["mediaType"])
    return None


class Referrers:
    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self._api: dict[str, bool] = {}  # repo -> has the referrers API

    def has_api(self, repo: str) -> bool:
        return self._api.get(repo, False)

    def list(self, repo: str, digest: str, artifact_type: str | None = None) -> list[dict[str, Any]]:
        digests.validate(digest)
        t = self.client.transport
        params = [("artifactType", artifact_type)] if artifact_type else None
        resp = t.request(
            "GET", f"/v2/{repo}/referrers/{digest}", scopes=self.client.pull_scope(repo), params=params
        )
        if resp.status_code == 200 and resp.headers.get("Content-Type", "").startswith(mediatypes.OCI_INDEX):
            self._api[repo] = True
            found = list(json.loads(resp.content).get("manifests") or [])
            filtered = "artifactType" in resp.headers.get("OCI-Filters-Applied", "")
        else:
            if resp.status_code not in (404, 405, 400):
                raise_for(resp, f"referrers of {repo}@{digest}", (200,))
            self._api[repo] = False
            index = self.client.find_manifest(repo, digests.tag_of(digest))
            found = list(index.json().get("manifests") or []) if index else []
            filtered = False
        if artifact_type and not filtered:
            found = [d for d in found if d.get("artifactType") == artifact_type]
        return found

    def add_to_fallback(self, repo: str, subject: str, desc: Descriptor, doc: dict[str, Any]) -> None:
        """Add `desc` to the `sha256-<hex>` index of `subject` (idempotent)."""
        self._api[repo] = False
        tag = digests.tag_of(digests.validate(subject))
        current = self.client.find_manifest(repo, tag)
        index: dict[str, Any] = (
            current.json()
            if current
            else {"schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX, "manifests": []}
        )
        manifests = [m for m in index.get("manifests") or [] if m.get("digest") != desc.digest]
        entry: dict[str, Any] = desc.to_json()
        at = _artifact_type(doc)
        if at:
            entry["artifactType"] = at
        if isinstance(doc.get("annotations"), dict) and doc["annotations"]:
            entry["annotations"] = doc["annotations"]
        manifests.append(entry)
        index["manifests"] = manifests
        data = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
        if current is not None and current.data == data:
            return
        self.client.push_manifest(repo, data, mediatypes.OCI_INDEX, tag=tag)
