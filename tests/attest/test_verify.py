"""verify: the happy path, and every rejection the issue lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hardbake.attest import cosign, dsse, intoto, predicates, signing
from hardbake.attest.keys import SigningKey
from hardbake.attest.storage.registry import RegistryStore
from hardbake.attest.verify import Check, VerifyPolicy, VerifyResult, verify
from hardbake.oci.registry import RegistryClient, mediatypes
from hardbake.testing.registry import LocalRegistry
from hardbake.testing.registry_images import push_image, push_index

BUILDER = "https://hardbake.dev/builder/v1"
PROVENANCE = {
    "buildDefinition": {
        "buildType": "t",
        "externalParameters": {},
        "resolvedDependencies": [{"uri": "http://m/x.deb"}],
    },
    "runDetails": {
        "builder": {"id": BUILDER},
        "byproducts": [{"name": "slsa-build-level", "annotations": {"level": 1}}],
    },
}
ALL = ("sbom", "provenance", "vex", "hardening")


def _signed(client: RegistryClient, key: SigningKey, repo: str = "v/app") -> tuple[RegistryStore, str]:
    img = push_image(client, repo, "v1")
    store = RegistryStore(client, repo)
    signing.sign_image(store, "v1", key)
    for ptype, pred in (
        (predicates.SPDX, {"spdxVersion": "SPDX-2.3"}),
        (predicates.SLSA_PROVENANCE_V1, PROVENANCE),
        (predicates.OPENVEX, {"statements": []}),
        (predicates.HARDENING, {"shells": {"count": 0, "paths": []}}),
    ):
        signing.attest_image(store, "v1", key, ptype, pred)
    return store, img.digest


def _failed(result: VerifyResult) -> dict[str, str]:
    return {c.name: c.detail for c in result.failures}


def test_all_checks_pass(client: RegistryClient, key: SigningKey) -> None:
    store, digest = _signed(client, key)
    result = verify(store, "v1", VerifyPolicy(key.public, require=ALL, builder_id=BUILDER))
    assert result.ok, result.to_json()
    assert result.digest == digest and result.slsa_build_level == 1
    names = [c.name for c in result.checks]
    assert names == ["resolve", "content", "signature", *(f"attestation:{k}" for k in ALL), "builder"]
    assert json.loads(json.dumps(result.to_json()))["verified"] is True


def test_rejects_signature_by_another_key(
    client: RegistryClient, key: SigningKey, other_key: SigningKey
) -> None:
    store, _ = _signed(client, key)
    result = verify(store, "v1", VerifyPolicy(other_key.public, require=("provenance",)))
    failed = _failed(result)
    assert "does not verify with the given key" in failed["signature"]
    assert "DSSE signature does not verify" in failed["attestation:provenance"]


def test_rejects_retagged_different_image(client: RegistryClient, key: SigningKey) -> None:
    store, _ = _signed(client, key)
    push_image(client, "v/app", "v1", {"etc/evil": b"not what was signed"})  # same tag, other image
    failed = _failed(verify(store, "v1", VerifyPolicy(key.public)))
    assert "no signature found" in failed["signature"]


def test_rejects_signature_copied_from_another_image(client: RegistryClient, key: SigningKey) -> None:
    store, good = _signed(client, key)
    evil = push_image(client, "v/app", "v1", {"etc/evil": b"x"})
    sig = client.fetch_manifest("v/app", cosign.sig_tag(good))
    client.push_manifest("v/app", sig.data, sig.media_type, cosign.sig_tag(evil.digest))
    failed = _failed(verify(store, "v1", VerifyPolicy(key.public)))
    assert f"signed payload is for {good}, not {evil.digest}" in failed["signature"]


def test_rejects_modified_manifest(client: RegistryClient, key: SigningKey) -> None:
    store, digest = _signed(client, key)
    doc = client.fetch_manifest("v/app", digest).json()
    doc["annotations"] = {"tampered": "yes"}
    client.push_manifest("v/app", json.dumps(doc).encode(), mediatypes.OCI_MANIFEST, "v1")
    result = verify(store, "v1", VerifyPolicy(key.public))
    assert result.digest != digest and "no signature found" in _failed(result)["signature"]


def test_rejects_modified_layer(client: RegistryClient, key: SigningKey, registry: LocalRegistry) -> None:
    store, digest = _signed(client, key)
    layer = client.fetch_manifest("v/app", digest).json()["layers"][0]["digest"]
    hexpart = layer.split(":")[1]
    path = registry.root / "data/docker/registry/v2/blobs/sha256" / hexpart[:2] / hexpart / "data"
    path.write_bytes(b"\x1f\x8b" + b"tampered" * 10)
    result = verify(store, "v1", VerifyPolicy(key.public))
    failed = _failed(result)
    assert list(failed) == ["content"] and "digest mismatch" in failed["content"]


def _attach_raw(store: RegistryStore, digest: str, envelope: dsse.Envelope, ptype: str) -> None:
    signing.attach_envelope(store, store.resolve(digest), envelope, ptype)


def test_rejects_attestation_about_another_digest(client: RegistryClient, key: SigningKey) -> None:
    img = push_image(client, "v/att", "v1")
    store = RegistryStore(client, "v/att")
    signing.sign_image(store, "v1", key)
    other = "sha256:" + "0" * 64
    env = signing.make_envelope("v/att", other, predicates.SLSA_PROVENANCE_V1, PROVENANCE, key)
    _attach_raw(store, img.digest, env, predicates.SLSA_PROVENANCE_V1)
    failed = _failed(
        verify(store, "v1", VerifyPolicy(key.public, require=("provenance",), builder_id=BUILDER))
    )
    assert f"subject is sha256:{'0' * 64}, not {img.digest}" in failed["attestation:provenance"]
    assert "no verified SLSA provenance" in failed["builder"]


def test_rejects_payload_type_mismatch(client: RegistryClient, key: SigningKey) -> None:
    img = push_image(client, "v/ptype", "v1")
    store = RegistryStore(client, "v/ptype")
    signing.sign_image(store, "v1", key)
    st = intoto.Statement.new((intoto.Subject.for_digest("x", img.digest),), predicates.HARDENING, {})
    env = dsse.sign(st.to_bytes(), "application/json", key)  # validly signed, wrong type
    _attach_raw(store, img.digest, env, predicates.HARDENING)
    failed = _failed(verify(store, "v1", VerifyPolicy(key.public, require=("hardening",))))
    assert "DSSE payload type 'application/json'" in failed["attestation:hardening"]


def test_rejects_missing_predicate_and_wrong_builder(client: RegistryClient, key: SigningKey) -> None:
    img = push_image(client, "v/miss", "v1")
    store = RegistryStore(client, "v/miss")
    signing.sign_image(store, "v1", key)
    signing.attest_image(store, img.digest, key, predicates.SLSA_PROVENANCE_V1, PROVENANCE)
    result = verify(
        store, "v1", VerifyPolicy(key.public, require=("provenance", "vex"), builder_id="https://evil")
    )
    failed = _failed(result)
    assert set(failed) == {"attestation:vex", "builder"}
    assert "no verified attestation of type" in failed["attestation:vex"]
    assert f"names builder {BUILDER}, expected https://evil" in failed["builder"]


def test_index_needs_every_platform_signed(client: RegistryClient, key: SigningKey) -> None:
    push_index(client, "v/multi", "v1")
    store = RegistryStore(client, "v/multi")
    signing.sign_image(store, "v1", key, signing.SignOptions(recursive=False))
    failed = _failed(verify(store, "v1", VerifyPolicy(key.public)))
    assert set(failed) == {"signature:linux/amd64", "signature:linux/arm64"}
    signing.sign_image(store, "v1", key)
    assert verify(store, "v1", VerifyPolicy(key.public)).ok


def test_unknown_reference_and_dependency_seam(client: RegistryClient, key: SigningKey) -> None:
    store, _ = _signed(client, key)
    missing = verify(store, "nope", VerifyPolicy(key.public))
    assert not missing.ok and missing.failures[0].name == "resolve"
    seen: list[list[dict[str, Any]]] = []

    def deps(resolved: list[dict[str, Any]]) -> Check:
        seen.append(resolved)
        return Check("dependencies", False, "x.deb is in no signed Packages index")

    result = verify(store, "v1", VerifyPolicy(key.public, dependency_check=deps))
    assert seen == [[{"uri": "http://m/x.deb"}]]
    assert _failed(result) == {"dependencies": "x.deb is in no signed Packages index"}


@pytest.mark.parametrize("bad", ["nonsense", ""])
def test_unknown_requirement(client: RegistryClient, key: SigningKey, bad: str, tmp_path: Path) -> None:
    from hardbake.errors import InputError

    store, _ = _signed(client, key, "v/req")
    with pytest.raises(InputError):
        verify(store, "v1", VerifyPolicy(key.public, require=(bad,)))
