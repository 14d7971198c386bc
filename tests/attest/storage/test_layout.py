"""Signatures and attestations kept in an OCI layout, and every rejection through that store.

The checks themselves are tested against a registry in tests/attest/test_verify.py; here the
same rejections run through the layout backend, which stores things differently (index.json
tags and untagged referrers, blobs as files)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hardbake.attest import cosign, dsse, intoto, predicates, signing
from hardbake.attest.keys import SigningKey
from hardbake.attest.storage.layout import LayoutStore
from hardbake.attest.verify import VerifyPolicy, VerifyResult, verify
from hardbake.oci import layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.digest import Digest
from hardbake.testing.images import random_image, random_index

PROVENANCE = {
    "buildDefinition": {"buildType": "t", "externalParameters": {}},
    "runDetails": {"builder": {"id": "https://hardbake.dev/builder/v1"}},
}


@pytest.fixture()
def signed(tmp_path: Path, key: SigningKey) -> tuple[LayoutStore, str]:
    idx = random_index(BlobStore(tmp_path / "store", fsync=False), files=3, max_size=2000)
    layout.write(tmp_path / "lay", idx, tags=["v1"])
    store = LayoutStore(tmp_path / "lay", identity="registry.example/team/app")
    signing.sign_image(store, "v1", key)
    signing.attest_image(store, "v1", key, predicates.SLSA_PROVENANCE_V1, PROVENANCE)
    signing.attest_image(store, "v1", key, predicates.HARDENING, {"shells": {"count": 0, "paths": []}})
    return store, str(idx.digest())


def test_what_lands_in_the_layout(signed: tuple[LayoutStore, str], tmp_path: Path) -> None:
    store, digest = signed
    index = json.loads((tmp_path / "lay/index.json").read_text())
    tags = {
        m["annotations"]["org.opencontainers.image.ref.name"]
        for m in index["manifests"]
        if "annotations" in m
    }
    children = [m["digest"] for m in json.loads(store.fetch_blob(digest))["manifests"]]
    assert tags == {"v1", cosign.att_tag(digest)} | {cosign.sig_tag(d) for d in (digest, *children)}
    untagged = [m for m in index["manifests"] if "annotations" not in m]
    assert (
        sorted(m["artifactType"] for m in untagged) == [cosign.ATT_ARTIFACT] * 2 + [cosign.SIG_ARTIFACT] * 3
    )
    refs = layout.Layout(tmp_path / "lay").referrers(Digest.parse(digest))
    assert len(refs) == 3 and {r.annotations.get("predicateType") for r in refs} >= {predicates.HARDENING}
    # the signature images and artifacts do not count as images: oci:DIR still means the image
    assert store.default_reference() == digest
    assert layout.read(tmp_path / "lay").digest() == Digest.parse(digest)
    # peers still read the layout
    out = subprocess.run(
        ["skopeo", "inspect", "--raw", f"oci:{tmp_path / 'lay'}:v1"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    assert Digest.from_bytes(out) == Digest.parse(digest)


def test_verifies(signed: tuple[LayoutStore, str], key: SigningKey) -> None:
    store, digest = signed
    result = verify(
        store,
        "v1",
        VerifyPolicy(
            key.public,
            require=("provenance", "hardening"),
            builder_id=PROVENANCE["runDetails"]["builder"]["id"],
        ),
    )  # type: ignore[index]
    assert result.ok, result.to_json()
    assert result.digest == digest and result.reference == "registry.example/team/app:v1"
    assert verify(store, digest, VerifyPolicy(key.public)).ok


def _retag_other_image(store: LayoutStore, tmp: Path, key: SigningKey) -> None:
    other = random_image(BlobStore(tmp / "other", fsync=False), seed=7)
    layout.write(store.layout.root, other, tags=["v1"])


def _modify_layer(store: LayoutStore, tmp: Path, key: SigningKey) -> None:
    blobs = sorted(store.layout.root.joinpath("blobs/sha256").iterdir(), key=lambda p: -p.stat().st_size)
    data = bytearray(blobs[0].read_bytes())  # the largest blob is a layer
    data[-30] ^= 0xFF
    blobs[0].write_bytes(bytes(data))


def _modify_manifest(store: LayoutStore, tmp: Path, key: SigningKey) -> None:
    top = store.resolve("v1")
    doc = top.json()
    doc["annotations"] = {"tampered": "yes"}
    store.push_manifest(json.dumps(doc).encode(), top.media_type, "v1")


def _other_digest_attestation(store: LayoutStore, tmp: Path, key: SigningKey) -> None:
    env = signing.make_envelope("x", "sha256:" + "0" * 64, predicates.OPENVEX, {"statements": []}, key)
    signing.attach_envelope(store, store.resolve("v1"), env, predicates.OPENVEX)


def _payload_type_mismatch(store: LayoutStore, tmp: Path, key: SigningKey) -> None:
    top = store.resolve("v1")
    st = intoto.Statement.new((intoto.Subject.for_digest("x", top.digest),), predicates.OPENVEX, {})
    signing.attach_envelope(store, top, dsse.sign(st.to_bytes(), "application/json", key), predicates.OPENVEX)


CASES: dict[str, tuple[Callable[[LayoutStore, Path, SigningKey], None], tuple[str, ...], str, str]] = {
    "retagged": (_retag_other_image, (), "signature", "no signature found"),
    "modified-layer": (_modify_layer, (), "content", "digest"),
    "modified-manifest": (_modify_manifest, (), "signature", "no signature found"),
    "other-digest": (
        _other_digest_attestation,
        ("vex",),
        "attestation:vex",
        "statement subject is sha256:000",
    ),
    "payload-type": (
        _payload_type_mismatch,
        ("vex",),
        "attestation:vex",
        "DSSE payload type 'application/json'",
    ),
    "missing-predicate": (lambda s, t, k: None, ("sbom",), "attestation:sbom", "no verified attestation"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rejections(signed: tuple[LayoutStore, str], key: SigningKey, tmp_path: Path, case: str) -> None:
    tamper, require, check, words = CASES[case]
    store, _ = signed
    tamper(store, tmp_path, key)
    result: VerifyResult = verify(store, "v1", VerifyPolicy(key.public, require=require))
    failed = {c.name: c.detail for c in result.failures}
    assert check in failed and words in failed[check], result.to_json()


def test_rejects_another_key(signed: tuple[LayoutStore, str], other_key: SigningKey) -> None:
    store, _ = signed
    failed = {
        c.name for c in verify(store, "v1", VerifyPolicy(other_key.public, require=("provenance",))).failures
    }
    assert {"signature", "attestation:provenance"} <= failed


def test_sign_and_attest_a_fresh_build(tmp_path: Path, key: SigningKey) -> None:
    """What `build --sign` does: sign the index and its platforms, provenance on the index,
    an SBOM on each platform image."""
    idx = random_index(BlobStore(tmp_path / "store", fsync=False), files=2, max_size=500)
    layout.write(tmp_path / "lay", idx, tags=["3.13"])
    store = LayoutStore(tmp_path / "lay", identity="hardbake/python")
    platforms = [str(d.digest) for d in idx.index_manifest().manifests]
    done = signing.sign_and_attest(
        store,
        "3.13",
        key,
        [
            signing.Attestation(predicates.SLSA_PROVENANCE_V1, PROVENANCE),
            *(signing.Attestation(predicates.SPDX, {"spdxVersion": "SPDX-2.3"}, d) for d in platforms),
        ],
    )
    assert [a.kind for a in done] == ["signature"] * 3 + ["attestation"] * 3
    assert verify(store, "3.13", VerifyPolicy(key.public, require=("provenance",))).ok
    for d in platforms:
        assert verify(store, d, VerifyPolicy(key.public, require=("sbom",))).ok
