"""Copying signed images: layout -> registry -> layout with the referrers, read by cosign and Docker.

One multi-arch image (a static Go binary for amd64 and arm64) is built into an OCI layout,
signed and attested there, pushed with `hardbake push`, verified by `cosign verify --key`
and by `hardbake verify` in the registry, pulled with `hardbake pull` into a fresh layout
(same digests, referrers present) and verified there, pulled by Docker and run.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from hardbake.attest import cosign, predicates, signing
from hardbake.attest.copy import copy_image
from hardbake.attest.keys import SigningKey
from hardbake.attest.storage.layout import LayoutStore
from hardbake.attest.storage.registry import RegistryStore
from hardbake.attest.verify import VerifyPolicy, verify
from hardbake.oci import layout, mutate
from hardbake.oci.blobs import BlobStore
from hardbake.oci.digest import Digest
from hardbake.oci.image import ImageIndex
from hardbake.oci.platform import Platform
from hardbake.oci.reference import parse_image_ref
from hardbake.oci.registry import digests
from hardbake.oci.remote import RegistryAccess
from hardbake.testing.cli import run_hardbake
from hardbake.testing.cosign import REGISTRY_FLAGS, run_cosign
from hardbake.testing.images import binary_image, random_image
from hardbake.testing.registry import LocalRegistry

BUILDER = "https://hardbake.dev/builder/v1"
PROVENANCE = {
    "buildDefinition": {"buildType": "t", "externalParameters": {}},
    "runDetails": {"builder": {"id": BUILDER}},
}
SBOM_ARTIFACT = "application/spdx+json"


def _multiarch(store: BlobStore, binaries: dict[str, Path]) -> ImageIndex:
    return mutate.index(
        [binary_image(store, binaries[a], platform=Platform.from_debian(a)) for a in ("amd64", "arm64")]
    )


def _signed_layout(root: Path, tmp: Path, key: SigningKey, binaries: dict[str, Path]) -> ImageIndex:
    idx = _multiarch(BlobStore(tmp / "store", fsync=False), binaries)
    layout.write(root, idx, tags=["v1"])
    # the identity is where it will be published one day, not where the test pushes it:
    # cosign checks the digest in the payload, not the name
    store = LayoutStore(root, identity="registry.example/team/app")
    signing.sign_image(store, "v1", key)
    signing.attest_image(store, "v1", key, predicates.SLSA_PROVENANCE_V1, PROVENANCE)
    signing.attest_image(store, "v1", key, predicates.HARDENING, {"shells": {"count": 0, "paths": []}})
    signing.attest_image(store, "v1", key, predicates.SPDX, {"spdxVersion": "SPDX-2.3"})
    sbom = mutate.artifact(
        SBOM_ARTIFACT, [mutate.Blob(SBOM_ARTIFACT, b'{"spdxVersion":"SPDX-2.3"}')], subject=idx.descriptor()
    )
    layout.write(root, sbom)  # a plain OCI 1.1 referrer, unsigned
    # and cosign's older `cosign attach sbom` place: a `sha256-<hex>.sbom` tag
    blob = store.push_blob(b'{"spdxVersion":"SPDX-2.3"}')
    layer = cosign.Layer(str(blob["digest"]), int(blob["size"]), "text/spdx+json", {})
    cosign.append_to_tag(store, digests.tag_of(str(idx.digest())) + ".sbom", layer)
    return idx


def _entries(root: Path) -> dict[str, dict[str, Any]]:
    """index.json entries by digest."""
    return {m["digest"]: m for m in json.loads((root / "index.json").read_text())["manifests"]}


@pytest.mark.docker
def test_push_pull_verify_run(
    registry: LocalRegistry,
    tmp_path: Path,
    key: SigningKey,
    keydir: Path,
    go_binaries: dict[str, Path],
    cosign_bin: Path,
    docker_engine: Any,
) -> None:
    src = tmp_path / "src"
    idx = _signed_layout(src, tmp_path, key, go_binaries)
    target = f"{registry.host}/team/app:v1"
    pub = str(keydir / "cosign.pub")

    r = run_hardbake("push", f"oci:{src}:v1", target, "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    pushed = json.loads(r.stdout)
    assert pushed["digest"] == str(idx.digest()) and len(pushed["manifests"]) == 3
    kinds = sorted((x["kind"], x["name"].split(".")[-1]) for x in pushed["referrers"])
    assert kinds.count(("tag", "sig")) == 3 and kinds.count(("tag", "att")) == 1 and ("tag", "sbom") in kinds
    assert sum(1 for x in pushed["referrers"] if x["kind"] == "referrer") == 3 + 3 + 1  # sigs, atts, sbom

    for args in (("verify",), ("verify-attestation", "--type", "slsaprovenance1")):
        c = run_cosign(*args, "--key", pub, *REGISTRY_FLAGS, target, home=tmp_path)
        assert c.returncode == 0, c.stderr
    require = ("--require", "provenance,hardening,sbom", "--builder-id", BUILDER)
    r = run_hardbake("verify", target, "--key", pub, *require, "--json", home=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr

    back = tmp_path / "back"
    r = run_hardbake("pull", target, f"oci:{back}:v1", "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["digest"] == str(idx.digest())
    assert layout.Layout(back).verify() > 0  # every blob reachable from index.json is intact
    mine, theirs = _entries(src), _entries(back)
    assert set(mine) == set(theirs)  # the image, its signature images and every referrer
    for d, entry in mine.items():
        assert theirs[d].get("annotations") == entry.get("annotations")
    r = run_hardbake("verify", f"oci:{back}:v1", "--key", pub, *require, home=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr

    name = f"{registry.host}/team/app"
    try:
        pulled = docker_engine.images.pull(name, tag="v1")
        assert str(idx.digest()) in " ".join(pulled.attrs.get("RepoDigests", []))
        out = docker_engine.containers.run(f"{name}:v1", ["/etc/hello"], network_mode="none", remove=True)
        assert out == b"uid=65532 gid=65532\nhello from hardbake\n"
    finally:
        with contextlib.suppress(Exception):
            docker_engine.images.remove(f"{name}:v1", force=True)


def test_copy_merges_signature_tags_and_rejects_a_retag(
    registry: LocalRegistry, tmp_path: Path, key: SigningKey, other_key: SigningKey
) -> None:
    """The destination already holds a signature by another key: both survive the copy.
    Then someone re-tags a different image: verify rejects it."""
    store = BlobStore(tmp_path / "store", fsync=False)
    img = random_image(store, files=2, max_size=1000)
    layout.write(tmp_path / "src", img, tags=["v1"])
    signing.sign_image(LayoutStore(tmp_path / "src"), "v1", key)
    with RegistryAccess() as access:
        dst = RegistryStore(access.client(registry.host), "m/app", display=registry.host)
        copy_image(
            parse_image_ref(f"oci:{tmp_path / 'src'}:v1"),
            parse_image_ref(f"{registry.host}/m/app:v1"),
            access=access,
            referrers=False,
        )
        signing.sign_image(dst, "v1", other_key, signing.SignOptions(referrers=False))
        result = copy_image(
            parse_image_ref(f"oci:{tmp_path / 'src'}:v1"),
            parse_image_ref(f"{registry.host}/m/app:v1"),
            access=access,
        )
        assert [r.merged for r in result.referrers if r.kind == "tag"] == [True]
        layers = cosign.layers_of(dst.find_manifest(cosign.sig_tag(str(img.digest()))))
        assert len(layers) == 2
        for k in (key, other_key):
            assert verify(dst, "v1", VerifyPolicy(k.public)).ok

        evil = random_image(store, seed=99)
        copy_image(
            parse_image_ref(f"oci:{tmp_path / 'src'}:v1"),
            parse_image_ref(f"{registry.host}/m/app:v1"),
            access=access,
        )  # idempotent: nothing new
        layout.write(tmp_path / "evil", evil, tags=["v1"])
        copy_image(
            parse_image_ref(f"oci:{tmp_path / 'evil'}:v1"),
            parse_image_ref(f"{registry.host}/m/app:v1"),
            access=access,
        )
        failed = {c.name: c.detail for c in verify(dst, "v1", VerifyPolicy(key.public)).failures}
        assert "no signature found" in failed["signature"]
        # the signed image is still there by digest, and still verifies
        assert verify(dst, str(img.digest()), VerifyPolicy(key.public)).ok


def test_single_image_destinations_leave_referrers_behind(tmp_path: Path, key: SigningKey) -> None:
    img = random_image(BlobStore(tmp_path / "store", fsync=False), files=2, max_size=1000)
    layout.write(tmp_path / "src", img, tags=["v1"])
    signing.sign_image(LayoutStore(tmp_path / "src"), "v1", key)
    with RegistryAccess() as access:
        result = copy_image(
            parse_image_ref(f"oci:{tmp_path / 'src'}:v1"),
            parse_image_ref(f"docker-archive:{tmp_path / 'a.tar'}:hardbake-test/a:1"),
            access=access,
            platform=Platform.parse("linux/amd64"),
        )
    assert result.descriptor.digest == img.digest() and result.referrers == []
    assert result.referrers_skipped is not None and "cannot hold" in result.referrers_skipped
    assert Digest.from_file(tmp_path / "a.tar")[1] > 0
