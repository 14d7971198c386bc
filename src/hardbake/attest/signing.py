"""Signing an image and attaching attestations, in cosign's places and as OCI referrers.

`sign_image` signs the manifest a reference resolves to (for an index: the index and every
platform manifest it lists); `attest_image` wraps a predicate in an in-toto Statement whose
subject is that digest, signs it as a DSSE envelope and attaches it. Both write cosign's
`sha256-<hex>.sig`/`.att` tags always and an OCI 1.1 referrer too (unless told not to);
the backend keeps the referrers visible (API or `sha256-<hex>` fallback index).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hardbake.attest import cosign, dsse, intoto
from hardbake.attest.keys import SigningKey
from hardbake.attest.storage.interface import ArtifactStore, StoredManifest
from hardbake.oci.registry import mediatypes


@dataclass(frozen=True)
class Attached:
    """One signature or attestation written: for which digest, and where."""

    subject: str
    kind: str  # "signature" | "attestation"
    tag: str
    layer_digest: str
    referrer: str | None
    predicate_type: str | None = None


@dataclass(frozen=True)
class SignOptions:
    annotations: dict[str, str] = field(default_factory=dict)
    recursive: bool = True  # an index: sign every platform manifest too
    referrers: bool = True  # also write OCI 1.1 referrers


def _children(store: ArtifactStore, manifest: StoredManifest) -> list[StoredManifest]:
    if not mediatypes.is_index(manifest.media_type):
        return []
    out = []
    for d in manifest.json().get("manifests") or []:
        child = store.resolve(str(d["digest"]))
        out.append(child)
        out += _children(store, child)
    return out


def sign_manifest(
    store: ArtifactStore, manifest: StoredManifest, key: SigningKey, options: SignOptions | None = None
) -> Attached:
    """Sign one manifest digest the cosign way (simple signing payload in `.sig`)."""
    options = options or SignOptions()
    payload = cosign.simple_signing_payload(store.identity, manifest.digest, options.annotations or None)
    blob = store.push_blob(payload)
    layer = cosign.Layer(
        str(blob["digest"]),
        int(blob["size"]),
        cosign.SIMPLESIGNING_MEDIA,
        {cosign.SIGNATURE_ANNOTATION: base64.b64encode(key.sign(payload)).decode()},
    )
    tag = cosign.sig_tag(manifest.digest)
    cosign.append_to_tag(store, tag, layer)
    ref = None
    if options.referrers:
        ref = cosign.push_referrer(store, manifest, cosign.SIG_ARTIFACT, layer, {}).digest
    return Attached(manifest.digest, "signature", tag, layer.digest, ref)


def sign_image(
    store: ArtifactStore, reference: str, key: SigningKey, options: SignOptions | None = None
) -> list[Attached]:
    """Sign what `reference` (tag or digest) resolves to; an index with all its manifests."""
    options = options or SignOptions()
    top = store.resolve(reference)
    targets = [top, *(_children(store, top) if options.recursive else [])]
    return [sign_manifest(store, m, key, options) for m in targets]


def make_envelope(
    subject_name: str, digest: str, predicate_type: str, predicate: dict[str, Any], key: SigningKey
) -> dsse.Envelope:
    statement = intoto.Statement.new(
        (intoto.Subject.for_digest(subject_name, digest),), predicate_type, predicate
    )
    return dsse.sign(statement.to_bytes(), dsse.INTOTO_PAYLOAD_TYPE, key)


def attach_envelope(
    store: ArtifactStore,
    manifest: StoredManifest,
    envelope: dsse.Envelope,
    predicate_type: str,
    referrers: bool = True,
) -> Attached:
    """Attach a signed DSSE envelope to `manifest` (`.att` tag, and a referrer)."""
    blob = store.push_blob(envelope.to_bytes())
    # cosign keeps an empty signature annotation on DSSE layers (the signature is inside the
    # envelope) and refuses layers without it.
    layer = cosign.Layer(
        str(blob["digest"]),
        int(blob["size"]),
        cosign.DSSE_MEDIA,
        {cosign.SIGNATURE_ANNOTATION: "", cosign.PREDICATE_ANNOTATION: predicate_type},
    )
    tag = cosign.att_tag(manifest.digest)
    cosign.append_to_tag(store, tag, layer)
    ref = None
    if referrers:
        annotations = {
            cosign.PREDICATE_ANNOTATION: predicate_type,
            "in-toto.io/predicate-type": predicate_type,
        }
        ref = cosign.push_referrer(store, manifest, cosign.ATT_ARTIFACT, layer, annotations).digest
    return Attached(manifest.digest, "attestation", tag, layer.digest, ref, predicate_type)


def attest_image(
    store: ArtifactStore,
    reference: str,
    key: SigningKey,
    predicate_type: str,
    predicate: dict[str, Any],
    referrers: bool = True,
) -> Attached:
    """Sign an in-toto Statement about what `reference` resolves to and attach it."""
    manifest = store.resolve(reference)
    envelope = make_envelope(store.identity, manifest.digest, predicate_type, predicate, key)
    return attach_envelope(store, manifest, envelope, predicate_type, referrers)


@dataclass(frozen=True)
class Attestation:
    """A predicate to attach: about `subject` (a manifest digest, e.g. one platform's image
    for its SBOM), or about the reference being signed when `subject` is None."""

    predicate_type: str
    predicate: dict[str, Any]
    subject: str | None = None


def sign_and_attest(
    store: ArtifactStore,
    reference: str,
    key: SigningKey,
    attestations: Sequence[Attestation] = (),
    options: SignOptions | None = None,
) -> list[Attached]:
    """Sign what `reference` resolves to (an index with every platform manifest) and attach
    each attestation: what `hardbake build --sign` does to the layout it has just written."""
    options = options or SignOptions()
    done = sign_image(store, reference, key, options)
    for a in attestations:
        done.append(
            attest_image(store, a.subject or reference, key, a.predicate_type, a.predicate, options.referrers)
        )
    return done
