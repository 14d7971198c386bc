"""Bad images: a corrupt layer, a `..` entry, bytes that do not match their digest — a clear
error, the right exit code, and no output file (not even a partial one)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.oci import DigestMismatch, ImageError
from hardbake.oci.blobs import BlobStore
from hardbake.sbom import inventories
from hardbake.testing.images import image_of, layer_from_tar, tar_bytes, tar_member
from hardbake.testing.sbomimages import dist_info, entries, image


def _sbom(ref: str, out: Path) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["sbom", ref, "--format", "spdx-json", "-o", str(out)])
    return r.exit_code, " ".join(r.output.split())  # rich wraps long lines


def _plain_archive(path: Path, layer: bytes) -> None:
    """A docker-archive written by hand: one plain layer whose diff_id is its sha256."""
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "config": {},
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps(
        [{"Config": config_name, "RepoTags": ["bad/image:1"], "Layers": ["l/layer.tar"]}]
    ).encode()
    with tarfile.open(path, "w") as tf:
        for name, data in ((config_name, config), ("l/layer.tar", layer), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_corrupt_layer(tmp_path: Path) -> None:
    good = tar_bytes([(tar_member("etc/os-release"), b"ID=debian\n"), (tar_member("x"), b"y")])
    bad = bytearray(good)
    bad[1024 + 100 : 1024 + 108] = b"garbage!"  # the second header's mode field: checksum fails
    archive = tmp_path / "bad.tar"
    _plain_archive(archive, bytes(bad))
    out = tmp_path / "sbom.json"
    code, output = _sbom(f"docker-archive:{archive}", out)
    assert code == 2 and "bad tar header checksum" in output
    assert not out.exists() and not list(tmp_path.glob(".sbom.json*"))
    with pytest.raises(ImageError, match="layer 0"):
        inventories(f"docker-archive:{archive}")


def test_truncated_gzip_layer(tmp_path: Path, store: BlobStore, save: Callable[..., str]) -> None:
    img = image(store, [entries(dist_info("site", "x", "1.0"))])
    ref = save(img, "oci")
    layer = img.layers()[0]
    blob = Path(ref.split(":")[1]) / "blobs" / "sha256" / layer.digest().hex
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes()[:-40])  # truncated: size and digest no longer match
    out = tmp_path / "out.json"
    code, output = _sbom(ref, out)
    assert code != 0 and not out.exists()
    assert "sha256" in output


def test_dotdot_entry(tmp_path: Path, store: BlobStore, save: Callable[..., str]) -> None:
    tar = tar_bytes([(tar_member("etc/ok"), b"ok"), (tar_member("../../etc/evil"), b"evil")])
    ref = save(image_of([layer_from_tar(store, tar)]), "oci")
    out = tmp_path / "out.json"
    code, output = _sbom(ref, out)
    assert code == 2 and "climbs out with '..'" in output and not out.exists()


def test_blob_not_matching_its_digest(tmp_path: Path, store: BlobStore, save: Callable[..., str]) -> None:
    img = image(store, [entries({"var/lib/dpkg/status": "Package: a\nVersion: 1\nArchitecture: all\n"})])
    ref = save(img, "oci")
    blob = Path(ref.split(":")[1]) / "blobs" / "sha256" / img.layers()[0].digest().hex
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes
    blob.chmod(0o644)
    blob.write_bytes(bytes(data))
    with pytest.raises((DigestMismatch, ImageError)):
        inventories(ref)
    out = tmp_path / "out.json"
    code, output = _sbom(ref, out)
    assert code in (2, 3) and not out.exists()
    assert "digest" in output or "corrupt" in output


def test_existing_output_is_kept_on_error(tmp_path: Path, store: BlobStore, save: Callable[..., str]) -> None:
    tar = tar_bytes([(tar_member("/abs/path"), b"x")])
    ref = save(image_of([layer_from_tar(store, tar)]), "oci")
    out = tmp_path / "out.json"
    out.write_text("previous good SBOM\n")
    code, output = _sbom(ref, out)
    assert code == 2 and "absolute path" in output
    assert out.read_text() == "previous good SBOM\n"
