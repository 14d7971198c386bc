"""Verifying an image against a public key: signature, attestations, builder, content.

Each check is a value (`Check`) with a name, a verdict and the reason; the result is a
list of them, so the CLI can say exactly which one failed and why. What is checked:

- content: the manifest bytes hash to the digest the reference resolves to, and (unless
  turned off) every blob and child manifest it names hashes to its digest;
- signature: some cosign signature (`.sig` tag or referrer) verifies with the key over a
  simple-signing payload naming that very digest (a signature copied from another image
  names another digest and is rejected); for an index, every platform manifest too;
- attestations: each required predicate type has a DSSE envelope of payload type
  `application/vnd.in-toto+json`, signed by the key, whose statement's subject is the digest;
- builder: a verified SLSA provenance names the expected builder id;
- dependencies: a seam (`dependency_check`) for checking resolved .debs against signed
  archive indices (the keyring check arrives with the archive client).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hardbake.attest import cosign, dsse, intoto, predicates, slsa
from hardbake.attest.keys import VerifyingKey
from hardbake.attest.storage.interface import ArtifactStore, StoredManifest
from hardbake.errors import Error
from hardbake.oci.registry import mediatypes


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


#: Given the resolved dependencies of a verified provenance, say whether they are trusted.
DependencyCheck = Callable[[list[dict[str, Any]]], Check]


@dataclass(frozen=True)
class VerifyPolicy:
    key: VerifyingKey
    require: tuple[str, ...] = ()  # kinds (sbom, provenance, vex, hardening, scan) or URIs
    builder_id: str | None = None
    check_content: bool = True
    recursive: bool = True  # an index: each platform manifest must be signed too
    dependency_check: DependencyCheck | None = None


@dataclass
class VerifyResult:
    reference: str
    digest: str | None = None
    checks: list[Check] = field(default_factory=list)
    predicates: dict[str, dict[str, Any]] = field(default_factory=dict)  # verified, by type
    slsa_build_level: int | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "digest": self.digest,
            "verified": self.ok,
            "slsaBuildLevel": self.slsa_build_level,
            "checks": [c.to_json() for c in self.checks],
        }


def _content(store: ArtifactStore, manifest: StoredManifest) -> list[str]:
    """Check every blob and child the manifest names; returns what failed."""
    problems: list[str] = []
    doc = manifest.json()
    if mediatypes.is_index(manifest.media_type):
        for d in doc.get("manifests") or []:
            try:
                child = store.resolve(str(d["digest"]))
            except Error as e:
                problems.append(e.message)
                continue
            problems += _content(store, child)
        return problems
    blobs = [doc.get("config") or {}, *(doc.get("layers") or [])]
    for b in blobs:
        if "digest" not in b:
            continue
        try:
            store.verify_blob(str(b["digest"]))
        except Error as e:
            problems.append(e.message)
    return problems


def _signature_reasons(store: ArtifactStore, digest: str, key: VerifyingKey) -> tuple[bool, list[str]]:
    layers = cosign.layers_of(store.find_manifest(cosign.sig_tag(digest)))
    layers += cosign.referrer_layers(store, digest, cosign.SIG_ARTIFACT)
    if not layers:
        return False, [f"no signature found for {digest} (neither {cosign.sig_tag(digest)} nor a referrer)"]
    reasons: list[str] = []
    for layer in layers:
        if layer.media_type != cosign.SIMPLESIGNING_MEDIA:
            reasons.append(f"layer {layer.digest}: media type {layer.media_type}, not simple signing")
            continue
        try:
            payload = store.fetch_blob(layer.digest)
            sig = base64.b64decode(layer.annotations.get(cosign.SIGNATURE_ANNOTATION, ""), validate=True)
        except (Error, binascii.Error, ValueError) as e:
            reasons.append(f"layer {layer.digest}: {e}")
            continue
        if not key.verify(sig, payload):
            reasons.append(f"layer {layer.digest}: signature does not verify with the given key")
            continue
        try:
            claims = cosign.SimpleSigning.parse(payload)
        except Error as e:
            reasons.append(f"layer {layer.digest}: {e.message}")
            continue
        if claims.type != cosign.SIMPLESIGNING_TYPE:
            reasons.append(f"layer {layer.digest}: payload type {claims.type!r}")
        elif claims.manifest_digest != digest:
            reasons.append(
                f"layer {layer.digest}: signed payload is for {claims.manifest_digest}, not {digest} "
                "(a signature copied from another image)"
            )
        else:
            return True, [f"signed by the key (payload {layer.digest}, identity {claims.docker_reference})"]
    return False, reasons


def _attestations(
    store: ArtifactStore, digest: str, key: VerifyingKey
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Verified predicates by type, and why the others were rejected."""
    layers = cosign.layers_of(store.find_manifest(cosign.att_tag(digest)))
    layers += cosign.referrer_layers(store, digest, cosign.ATT_ARTIFACT)
    good: dict[str, list[dict[str, Any]]] = {}
    rejected: list[str] = []
    seen: set[str] = set()
    for layer in layers:
        if layer.digest in seen:
            continue
        seen.add(layer.digest)
        claimed = layer.annotations.get(cosign.PREDICATE_ANNOTATION, "?")
        try:
            env = dsse.Envelope.from_bytes(store.fetch_blob(layer.digest))
        except Error as e:
            rejected.append(f"{claimed}: {e.message}")
            continue
        if env.payload_type != dsse.INTOTO_PAYLOAD_TYPE:
            rejected.append(
                f"{claimed}: DSSE payload type {env.payload_type!r}, expected {dsse.INTOTO_PAYLOAD_TYPE!r}"
            )
            continue
        if not env.verify(key):
            rejected.append(f"{claimed}: DSSE signature does not verify with the given key")
            continue
        try:
            statement = intoto.Statement.from_bytes(env.payload)
        except Error as e:
            rejected.append(f"{claimed}: {e.message}")
            continue
        if not statement.about(digest):
            names = ", ".join(f"{a}:{h}" for s in statement.subject for a, h in s.digest.items())
            rejected.append(f"{statement.predicate_type}: statement subject is {names}, not {digest}")
            continue
        good.setdefault(statement.predicate_type, []).append(statement.predicate)
    return good, rejected


def verify(store: ArtifactStore, reference: str, policy: VerifyPolicy) -> VerifyResult:
    """Run every check; never raises for a failed check (it becomes a failed `Check`)."""
    wanted = [(name, predicates.requirement(name)) for name in policy.require]  # bad names: InputError now
    sep = "@" if ":" in reference else ":"
    result = VerifyResult(f"{store.identity}{sep}{reference}")
    try:
        manifest = store.resolve(reference)
    except Error as e:
        result.add("resolve", False, e.message)
        return result
    digest = manifest.digest
    result.digest = digest
    result.add("resolve", True, f"{reference} -> {digest}")
    if policy.check_content:
        problems = _content(store, manifest)
        result.add(
            "content", not problems, "; ".join(problems) or "manifest, config and layers match their digests"
        )

    ok, reasons = _signature_reasons(store, digest, policy.key)
    result.add("signature", ok, "; ".join(reasons))
    if policy.recursive and mediatypes.is_index(manifest.media_type):
        for d in manifest.json().get("manifests") or []:
            ok, reasons = _signature_reasons(store, str(d["digest"]), policy.key)
            platform = d.get("platform") or {}
            where = "/".join(
                str(platform.get(k)) for k in ("os", "architecture", "variant") if platform.get(k)
            )
            result.add(f"signature:{where or d['digest']}", ok, "; ".join(reasons))

    need_provenance = policy.builder_id is not None or policy.dependency_check is not None
    if not wanted and not need_provenance:
        return result
    good, rejected = _attestations(store, digest, policy.key)
    for ptype, preds in good.items():
        result.predicates[ptype] = preds[0]
    for name, types in wanted:
        found = sorted(t for t in types if t in good)
        if found:
            result.add(f"attestation:{name}", True, f"verified {', '.join(found)}")
        else:
            related = [r for r in rejected if any(r.startswith(t) for t in types)]
            why = "; ".join(related or rejected) or "no attestations at all"
            result.add(
                f"attestation:{name}",
                False,
                f"no verified attestation of type {' or '.join(sorted(types))} ({why})",
            )

    provenances = good.get(predicates.SLSA_PROVENANCE_V1, [])
    for p in provenances:
        result.slsa_build_level = slsa.claimed_level(p)
    if policy.builder_id is not None:
        ids = sorted({str(((p.get("runDetails") or {}).get("builder") or {}).get("id")) for p in provenances})
        if not provenances:
            result.add("builder", False, "no verified SLSA provenance to read the builder id from")
        elif policy.builder_id in ids:
            result.add("builder", True, f"provenance names builder {policy.builder_id}")
        else:
            result.add(
                "builder", False, f"provenance names builder {', '.join(ids)}, expected {policy.builder_id}"
            )
    if policy.dependency_check is not None:
        if not provenances:
            result.add(
                "dependencies", False, "no verified SLSA provenance to read resolved dependencies from"
            )
        else:
            deps = (provenances[0].get("buildDefinition") or {}).get("resolvedDependencies") or []
            result.checks.append(policy.dependency_check(list(deps)))
    return result
