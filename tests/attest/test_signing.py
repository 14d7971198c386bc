"""Signing and attesting in a real registry, accepted by the real cosign."""

from __future__ import annotations

import json
from pathlib import Path

from hardbake.attest import cosign, dsse, intoto, predicates, signing
from hardbake.attest.keys import SigningKey, write_key_pair
from hardbake.attest.storage.registry import RegistryStore
from hardbake.oci.registry import RegistryClient, digests
from hardbake.testing.cosign import REGISTRY_FLAGS, run_cosign
from hardbake.testing.registry_images import push_image, push_index

PROVENANCE = {
    "buildDefinition": {"buildType": "x", "externalParameters": {}},
    "runDetails": {"builder": {"id": "b"}},
}


def test_cosign_verifies_signature_and_attestations(
    client: RegistryClient, keydir: Path, key: SigningKey, cosign_bin: Path, tmp_path: Path
) -> None:
    push_image(client, "sig/app", "v1")
    store = RegistryStore(client, "sig/app")
    [sig] = signing.sign_image(store, "v1", key, signing.SignOptions(annotations={"team": "hardbake"}))
    signing.attest_image(store, "v1", key, predicates.SLSA_PROVENANCE_V1, PROVENANCE)
    signing.attest_image(store, "v1", key, predicates.HARDENING, {"shells": {"count": 0, "paths": []}})
    ref = f"{client.registry}/sig/app:v1"
    pub = str(keydir / "cosign.pub")

    r = run_cosign("verify", "--key", pub, *REGISTRY_FLAGS, "-a", "team=hardbake", ref, home=tmp_path)
    assert r.returncode == 0, r.stderr
    [claims] = json.loads(r.stdout)
    assert claims["critical"]["image"]["docker-manifest-digest"] == sig.subject
    assert claims["critical"]["identity"]["docker-reference"] == f"{client.registry}/sig/app"

    r = run_cosign(
        "verify-attestation", "--key", pub, *REGISTRY_FLAGS, "--type", "slsaprovenance1", ref, home=tmp_path
    )
    assert r.returncode == 0, r.stderr
    r = run_cosign(
        "verify-attestation",
        "--key",
        pub,
        *REGISTRY_FLAGS,
        "--type",
        predicates.HARDENING,
        ref,
        home=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    statement = json.loads(dsse.Envelope.from_bytes(r.stdout.strip().encode()).payload)
    assert statement["predicateType"] == predicates.HARDENING

    # a key cosign never saw: refused
    other = tmp_path / "other"
    write_key_pair(SigningKey.generate(), other, b"x")
    r = run_cosign("verify", "--key", str(other / "cosign.pub"), *REGISTRY_FLAGS, ref, home=tmp_path)
    assert r.returncode != 0


def test_signatures_append_and_land_as_referrers(
    client: RegistryClient, key: SigningKey, other_key: SigningKey, cosign_bin: Path, tmp_path: Path
) -> None:
    img = push_image(client, "sig/two", "v1")
    store = RegistryStore(client, "sig/two")
    signing.sign_image(store, "v1", key)
    signing.sign_image(store, "v1", other_key)
    signing.sign_image(store, "v1", key)  # ECDSA is randomised: a third, distinct layer
    layers = cosign.layers_of(store.find_manifest(cosign.sig_tag(img.digest)))
    assert len(layers) == 3 and all(lay.media_type == cosign.SIMPLESIGNING_MEDIA for lay in layers)
    refs = client.referrers("sig/two", img.digest, cosign.SIG_ARTIFACT)
    assert len(refs) == 3
    # both keys verify with cosign: the second signature did not replace the first
    for k in (key, other_key):
        d = tmp_path / k.keyid[:8]
        write_key_pair(k, d, b"x")
        r = run_cosign(
            "verify",
            "--key",
            str(d / "cosign.pub"),
            *REGISTRY_FLAGS,
            f"{client.registry}/sig/two:v1",
            home=tmp_path,
        )
        assert r.returncode == 0, r.stderr


def test_multi_arch_index_and_every_platform_signed(
    client: RegistryClient, keydir: Path, key: SigningKey, cosign_bin: Path, tmp_path: Path
) -> None:
    index, images = push_index(client, "sig/multi", "v1")
    done = signing.sign_image(RegistryStore(client, "sig/multi"), "v1", key)
    assert [a.subject for a in done] == [index.digest, *(i.digest for i in images)]
    for d in [index.digest, *(i.digest for i in images)]:
        r = run_cosign(
            "verify",
            "--key",
            str(keydir / "cosign.pub"),
            *REGISTRY_FLAGS,
            f"{client.registry}/sig/multi@{d}",
            home=tmp_path,
        )
        assert r.returncode == 0, r.stderr


def test_attestation_layout(client: RegistryClient, key: SigningKey) -> None:
    img = push_image(client, "att/app", "v1")
    store = RegistryStore(client, "att/app")
    done = signing.attest_image(store, "v1", key, predicates.OPENVEX, {"statements": []})
    [layer] = cosign.layers_of(store.find_manifest(cosign.att_tag(img.digest)))
    assert layer.media_type == "application/vnd.dsse.envelope.v1+json"
    assert layer.annotations[cosign.PREDICATE_ANNOTATION] == predicates.OPENVEX
    env = dsse.Envelope.from_bytes(client.fetch_blob("att/app", layer.digest))
    assert env.payload_type == "application/vnd.in-toto+json" and env.verify(key.public)
    st = intoto.Statement.from_bytes(env.payload)
    assert st.about(img.digest) and st.subject[0].name == f"{client.registry}/att/app"
    [ref] = client.referrers("att/app", img.digest, cosign.ATT_ARTIFACT)
    assert ref["digest"] == done.referrer and ref["annotations"]["predicateType"] == predicates.OPENVEX
    art = client.fetch_manifest("att/app", str(done.referrer)).json()
    assert (
        art["subject"]["digest"] == img.digest
        and art["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    )
    assert digests.tag_of(img.digest) in client.list_tags("att/app")
