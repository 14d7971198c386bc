"""Benchmark: sign+attest per image (hardbake vs cosign), push/pull of a ~50 MB image
(hardbake's registry client vs skopeo copy), against one local docker-registry, same run.

    PYTHONPATH=src python bench/attest_sign.py [--runs 5] [--mb 50]

Prints medians and ratios (hardbake / peer: below 1 means hardbake is faster). Every run
pushes fresh random content to a fresh repository, so neither tool can skip or mount a blob.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from hardbake.attest import predicates, signing
from hardbake.attest.keys import SigningKey, write_key_pair
from hardbake.attest.storage.registry import RegistryStore
from hardbake.oci.registry import CredentialSource, RegistryClient, mediatypes
from hardbake.testing.cosign import REGISTRY_FLAGS, run_cosign
from hardbake.testing.registry import local_registry
from hardbake.testing.registry_images import layer_tar, push_image

PASSWORD = b"bench"
HTTP_FLAGS = ("--allow-insecure-registry", "--allow-http-registry")


def timed(fn: Callable[..., Any], *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def hardbake_sign_attest(store: RegistryStore, key: SigningKey, predicate: dict[str, Any]) -> None:
    signing.sign_image(store, "v1", key)
    signing.attest_image(store, "v1", key, predicates.SLSA_PROVENANCE_V1, predicate)


def cosign_sign_attest(ref: str, key: Path, predicate: Path, home: Path) -> None:
    for args in (
        ("sign", "--yes", "--tlog-upload=false", "--key", str(key), ref),
        (
            "attest",
            "--yes",
            "--tlog-upload=false",
            "--key",
            str(key),
            "--type",
            "slsaprovenance1",
            "--predicate",
            str(predicate),
            ref,
        ),
    ):
        r = run_cosign(*args, *HTTP_FLAGS, home=home, password=PASSWORD)
        assert r.returncode == 0, r.stderr


def bench_sign(client: RegistryClient, runs: int, tmp: Path) -> None:
    key = SigningKey.generate()
    write_key_pair(key, tmp / "keys", PASSWORD)
    pred = tmp / "prov.json"
    predicate = {"buildDefinition": {"buildType": "x"}, "runDetails": {"builder": {"id": "b"}}}
    pred.write_text(json.dumps(predicate))
    ours, theirs = [], []
    for i in range(runs):
        push_image(client, f"bench/sign{i}", "v1")
        ours.append(timed(hardbake_sign_attest, RegistryStore(client, f"bench/sign{i}"), key, predicate))
        push_image(client, f"bench/csign{i}", "v1")
        ref = f"{client.registry}/bench/csign{i}:v1"
        theirs.append(timed(cosign_sign_attest, ref, tmp / "keys/cosign.key", pred, tmp))
    report("sign+attest per image", ours, "cosign sign + attest", theirs)
    ref = f"{client.registry}/bench/sign0:v1"
    r = run_cosign("verify", "--key", str(tmp / "keys/cosign.pub"), *REGISTRY_FLAGS, ref, home=tmp)
    assert r.returncode == 0, "cosign must accept hardbake's signature"


def make_layout(root: Path, mb: int) -> dict[str, Path]:
    """An OCI layout holding one image with a ~mb MB incompressible gzip layer."""
    blobs = root / "blobs/sha256"
    blobs.mkdir(parents=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    tar = layer_tar({"data/random.bin": os.urandom(mb * 1024 * 1024)})
    paths: dict[str, Path] = {}

    def put(data: bytes) -> dict[str, Any]:
        h = hashlib.sha256(data).hexdigest()
        (blobs / h).write_bytes(data)
        paths[f"sha256:{h}"] = blobs / h
        return {"digest": f"sha256:{h}", "size": len(data)}

    layer = put(gzip.compress(tar, compresslevel=1, mtime=0))
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]}}
    cfg = put(json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_MANIFEST,
        "config": {"mediaType": mediatypes.OCI_CONFIG, **cfg},
        "layers": [{"mediaType": mediatypes.OCI_LAYER_GZIP, **layer}],
    }
    md = put(json.dumps(manifest).encode())
    ref_name = {"org.opencontainers.image.ref.name": "v1"}
    index = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": mediatypes.OCI_MANIFEST, **md, "annotations": ref_name}],
    }
    (root / "index.json").write_text(json.dumps(index))
    paths["manifest"] = paths[str(md["digest"])]
    return paths


def hardbake_push(client: RegistryClient, repo: str, paths: dict[str, Path]) -> None:
    manifest = paths["manifest"].read_bytes()
    doc = json.loads(manifest)
    for b in [doc["config"], *doc["layers"]]:
        client.push_blob(repo, paths[b["digest"]], b["digest"])
    client.push_manifest(repo, manifest, mediatypes.OCI_MANIFEST, "v1")


def hardbake_pull(client: RegistryClient, repo: str, out: Path) -> None:
    out.mkdir()
    m = client.fetch_manifest(repo, "v1").json()
    for b in [m["config"], *m["layers"]]:
        with (out / b["digest"].split(":")[1]).open("wb") as f:
            client.fetch_blob_to(repo, b["digest"], f)


def skopeo(*args: str) -> None:
    subprocess.run(["skopeo", "copy", "--quiet", *args], check=True)


def bench_push_pull(client: RegistryClient, runs: int, mb: int, tmp: Path) -> None:
    push_ours, push_skopeo, pull_ours, pull_skopeo = [], [], [], []
    for i in range(runs):
        paths = make_layout(tmp / f"layout{i}", mb)
        skopeo_layout = tmp / f"slayout{i}"
        make_layout(skopeo_layout, mb)
        sk_ref = f"docker://{client.registry}/bench/skopeo{i}:v1"
        push_ours.append(timed(hardbake_push, client, f"bench/push{i}", paths))
        push_skopeo.append(timed(skopeo, "--dest-tls-verify=false", f"oci:{skopeo_layout}:v1", sk_ref))
        pull_ours.append(timed(hardbake_pull, client, f"bench/push{i}", tmp / f"pull{i}"))
        pull_skopeo.append(timed(skopeo, "--src-tls-verify=false", sk_ref, f"oci:{tmp / f'spull{i}'}:v1"))
    report(f"push {mb} MB image", push_ours, "skopeo copy oci: -> docker://", push_skopeo)
    report(f"pull {mb} MB image", pull_ours, "skopeo copy docker:// -> oci:", pull_skopeo)


def report(what: str, ours: list[float], peer: str, theirs: list[float]) -> None:
    a, b = statistics.median(ours), statistics.median(theirs)
    line = f"{what:24s} hardbake median {a * 1000:7.1f} ms | {peer:30s} median {b * 1000:7.1f} ms"
    print(f"{line} | ratio {a / b:5.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mb", type=int, default=50)
    args = ap.parse_args()
    with local_registry() as reg, httpx.Client(timeout=120) as http, tempfile.TemporaryDirectory() as d:
        client = RegistryClient(reg.host, http, CredentialSource())
        bench_sign(client, args.runs, Path(d))
        bench_push_pull(client, args.runs, args.mb, Path(d))


if __name__ == "__main__":
    main()
