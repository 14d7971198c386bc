"""Other clients on the same registry: skopeo pushes what we pull, Docker pulls what we push."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from hardbake.oci.registry import RegistryClient, digests, mediatypes
from hardbake.testing.registry_images import layer_tar, push_image


def _write_blob(layout: Path, data: bytes) -> dict[str, Any]:
    hexpart = hashlib.sha256(data).hexdigest()
    (layout / "blobs/sha256" / hexpart).write_bytes(data)
    return {"digest": f"sha256:{hexpart}", "size": len(data)}


def _hand_written_layout(layout: Path) -> str:
    """An OCI image layout written by hand: oci-layout, index.json, blobs/sha256/<hex>."""
    (layout / "blobs/sha256").mkdir(parents=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    tar = layer_tar({"etc/from-skopeo": b"pushed by skopeo\n"})
    layer = _write_blob(layout, gzip.compress(tar, mtime=0))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [digests.sha256(tar)]},
    }
    cfg = _write_blob(layout, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_MANIFEST,
        "config": {"mediaType": mediatypes.OCI_CONFIG, **cfg},
        "layers": [{"mediaType": mediatypes.OCI_LAYER_GZIP, **layer}],
    }
    m = _write_blob(layout, json.dumps(manifest).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": mediatypes.OCI_MANIFEST,
                **m,
                "annotations": {"org.opencontainers.image.ref.name": "v1"},
            }
        ],
    }
    (layout / "index.json").write_text(json.dumps(index))
    return str(m["digest"])


def test_pull_what_skopeo_pushed(client: RegistryClient, tmp_path: Path) -> None:
    digest = _hand_written_layout(tmp_path / "layout")
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            "--preserve-digests",
            f"oci:{tmp_path / 'layout'}:v1",
            f"docker://{client.registry}/peer/skopeo:v1",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    m = client.fetch_manifest("peer/skopeo", "v1")
    assert m.digest == digest
    doc = m.json()
    for blob in [doc["config"], *doc["layers"]]:
        data = client.fetch_blob("peer/skopeo", blob["digest"])
        assert digests.sha256(data) == blob["digest"] and len(data) == blob["size"]


def test_skopeo_reads_what_we_pushed(client: RegistryClient, tmp_path: Path) -> None:
    img = push_image(client, "peer/ours", "v1", random_bytes=200_000)
    out = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{client.registry}/peer/ours:v1"],
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    assert digests.sha256(out) == img.digest
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--src-tls-verify=false",
            f"docker://{client.registry}/peer/ours:v1",
            f"oci:{tmp_path / 'copy'}:v1",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    index = json.loads((tmp_path / "copy/index.json").read_text())
    assert index["manifests"][0]["digest"] == img.digest


@pytest.mark.docker
def test_docker_pulls_what_we_pushed(client: RegistryClient, docker_engine: Any) -> None:
    img = push_image(client, "peer/docker", "v1")
    name = f"{client.registry}/peer/docker"
    tag = f"t{uuid.uuid4().hex[:8]}"
    try:
        pulled = docker_engine.images.pull(name, tag="v1")
        assert img.digest in " ".join(pulled.attrs.get("RepoDigests", []))
        pulled.tag(name, tag)
    finally:
        for t in ("v1", tag):
            with contextlib.suppress(Exception):  # already gone is fine
                docker_engine.images.remove(f"{name}:{t}", force=True)
