"""cosign's storage scheme, and the OCI 1.1 referrer form of the same objects.

Legacy tags (what `cosign verify --key` and `verify-attestation` read by default): the
signature image of manifest `sha256:<hex>` is tagged `sha256-<hex>.sig`; each layer is a
"simple signing" payload (media type `application/vnd.dev.cosign.simplesigning.v1+json`)
with the base64 DER ECDSA signature in the annotation `dev.cosignproject.cosign/signature`.
Attestations live at `sha256-<hex>.att`, one DSSE envelope per layer (media type
`application/vnd.dsse.envelope.v1+json`, annotation `predicateType`). New objects are
appended to the existing image of that tag, never replacing it.

Referrers: the same layer in an artifact manifest with `subject` and `artifactType`
(`application/vnd.dev.cosign.artifact.sig.v1+json` for signatures,
`application/vnd.dev.cosign.artifact.att.v1+json` for attestations) and an empty config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hardbake.attest.storage.interface import ArtifactStore, StoredManifest
from hardbake.errors import InputError
from hardbake.oci.registry import digests, mediatypes

SIMPLESIGNING_MEDIA = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
SIMPLESIGNING_TYPE = "cosign container image signature"
DSSE_MEDIA = "application/vnd.dsse.envelope.v1+json"
PREDICATE_ANNOTATION = "predicateType"
SIG_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
ATT_ARTIFACT = "application/vnd.dev.cosign.artifact.att.v1+json"
_ZERO_TIME = "0001-01-01T00:00:00Z"


def sig_tag(digest: str) -> str:
    return digests.tag_of(digest) + ".sig"


def att_tag(digest: str) -> str:
    return digests.tag_of(digest) + ".att"


def simple_signing_payload(
    docker_reference: str, digest: str, annotations: dict[str, str] | None = None
) -> bytes:
    """The payload cosign signs for a container image (sigstore/sigstore payload.Cosign)."""
    doc: dict[str, Any] = {
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": digests.validate(digest)},
            "type": SIMPLESIGNING_TYPE,
        },
        "optional": dict(annotations) if annotations else None,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


@dataclass(frozen=True)
class SimpleSigning:
    docker_reference: str
    manifest_digest: str
    type: str
    optional: dict[str, Any]

    @classmethod
    def parse(cls, payload: bytes) -> SimpleSigning:
        try:
            doc = json.loads(payload)
            crit = doc["critical"]
            return cls(
                str(crit["identity"]["docker-reference"]),
                str(crit["image"]["docker-manifest-digest"]),
                str(crit["type"]),
                dict(doc.get("optional") or {}),
            )
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"not a cosign simple-signing payload: {type(e).__name__}: {e}") from e


@dataclass(frozen=True)
class Layer:
    """One stored signature/attestation layer: its bytes' descriptor and annotations."""

    digest: str
    size: int
    media_type: str
    annotations: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            d["annotations"] = self.annotations
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Layer:
        return cls(str(d["digest"]), int(d["size"]), str(d["mediaType"]), dict(d.get("annotations") or {}))


def _canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _image_manifest(store: ArtifactStore, layers: list[Layer]) -> bytes:
    """A cosign-style signature image: OCI manifest, config with one diff_id per layer."""
    config = {
        "architecture": "",
        "config": {},
        "created": _ZERO_TIME,
        "history": [{"created": _ZERO_TIME} for _ in layers],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [lay.digest for lay in layers]},
    }
    cfg = store.push_blob(_canonical(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_MANIFEST,
        "config": {"mediaType": mediatypes.OCI_CONFIG, **cfg},
        "layers": [lay.to_json() for lay in layers],
    }
    return _canonical(manifest)


def layers_of(manifest: StoredManifest | None) -> list[Layer]:
    if manifest is None:
        return []
    try:
        return [Layer.from_json(d) for d in manifest.json().get("layers") or []]
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"malformed signature manifest {manifest.digest}: {e}") from e


def append_to_tag(store: ArtifactStore, tag: str, layer: Layer) -> StoredManifest:
    """Add `layer` to the image tagged `tag` (created if absent); identical layers are kept once."""
    existing = store.find_manifest(tag)
    layers = layers_of(existing)
    if any(lay == layer for lay in layers):
        assert existing is not None
        return existing
    layers.append(layer)
    return store.push_manifest(_image_manifest(store, layers), mediatypes.OCI_MANIFEST, tag=tag)


def push_referrer(
    store: ArtifactStore,
    subject: StoredManifest,
    artifact_type: str,
    layer: Layer,
    annotations: dict[str, str],
) -> StoredManifest:
    """An OCI 1.1 artifact manifest carrying `layer`, naming `subject`."""
    empty = store.push_blob(mediatypes.EMPTY_JSON)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": mediatypes.OCI_EMPTY, **empty},
        "layers": [layer.to_json()],
        "subject": subject.descriptor(),
    }
    if annotations:
        manifest["annotations"] = annotations
    return store.push_manifest(_canonical(manifest), mediatypes.OCI_MANIFEST)


def referrer_layers(store: ArtifactStore, digest: str, artifact_type: str) -> list[Layer]:
    """Layers of every referrer of `digest` with `artifact_type`."""
    out: list[Layer] = []
    for desc in store.referrers(digest, artifact_type):
        m = store.find_manifest(str(desc["digest"]))
        if m is not None:
            doc = m.json()
            subject = doc.get("subject") or {}
            if subject.get("digest") == digest:  # the index could lie; the manifest decides
                out += layers_of(m)
    return out
