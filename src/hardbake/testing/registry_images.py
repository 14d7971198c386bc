"""Small real images pushed straight to a registry through the raw distribution client.

A layer is a tar made here (one file of random or given content), the config names its
diff_id; an index lists one such image per platform. Enough for push/pull/sign/verify
tests without any image model.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from dataclasses import dataclass

from hardbake.oci.registry import RegistryClient, digests, mediatypes


@dataclass(frozen=True)
class PushedImage:
    repo: str
    tag: str | None
    digest: str
    media_type: str
    layer_digests: tuple[str, ...]


def layer_tar(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar with the given regular files (root-owned, mtime 0)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name.endswith((".sh", "/app")) else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def push_image(
    client: RegistryClient,
    repo: str,
    tag: str | None,
    files: dict[str, bytes] | None = None,
    *,
    arch: str = "amd64",
    random_bytes: int = 0,
    gzip_layer: bool = True,
    cmd: list[str] | None = None,
) -> PushedImage:
    """Push a one-layer image; `random_bytes` adds a file of that many random bytes."""
    files = dict(files or {"etc/hello": f"hello from {repo} {arch}\n".encode()})
    if random_bytes:
        files["data/random.bin"] = os.urandom(random_bytes)
    tar = layer_tar(files)
    layer = gzip.compress(tar, compresslevel=1, mtime=0) if gzip_layer else tar
    layer_desc = client.push_blob(repo, layer)
    config = {
        "architecture": arch,
        "os": "linux",
        "config": {"Cmd": cmd or ["/app"], "User": "65532"},
        "rootfs": {"type": "layers", "diff_ids": [digests.sha256(tar)]},
        "history": [{"created_by": "hardbake test"}],
    }
    cfg = json.dumps(config, sort_keys=True).encode()
    cfg_desc = client.push_blob(repo, cfg)
    manifest = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_MANIFEST,
        "config": {"mediaType": mediatypes.OCI_CONFIG, "digest": cfg_desc.digest, "size": cfg_desc.size},
        "layers": [
            {
                "mediaType": mediatypes.OCI_LAYER_GZIP if gzip_layer else mediatypes.OCI_LAYER,
                "digest": layer_desc.digest,
                "size": layer_desc.size,
            }
        ],
    }
    data = json.dumps(manifest, sort_keys=True).encode()
    d = client.push_manifest(repo, data, mediatypes.OCI_MANIFEST, tag)
    return PushedImage(repo, tag, d.digest, mediatypes.OCI_MANIFEST, (layer_desc.digest,))


def push_index(
    client: RegistryClient, repo: str, tag: str, arches: tuple[str, ...] = ("amd64", "arm64")
) -> tuple[PushedImage, list[PushedImage]]:
    """Push one image per architecture and an index over them, tagged `tag`."""
    images = [push_image(client, repo, None, arch=a) for a in arches]
    index = {
        "schemaVersion": 2,
        "mediaType": mediatypes.OCI_INDEX,
        "manifests": [
            {
                "mediaType": img.media_type,
                "digest": img.digest,
                "size": len(client.fetch_manifest(repo, img.digest).data),
                "platform": {"os": "linux", "architecture": a},
            }
            for img, a in zip(images, arches, strict=True)
        ],
    }
    data = json.dumps(index, sort_keys=True).encode()
    d = client.push_manifest(repo, data, mediatypes.OCI_INDEX, tag)
    return PushedImage(repo, tag, d.digest, mediatypes.OCI_INDEX, ()), images
