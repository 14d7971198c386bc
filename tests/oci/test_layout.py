"""OCI image layouts, checked by skopeo and umoci as independent readers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from hardbake.oci import archive, layout, mutate
from hardbake.oci import mediatype as mt
from hardbake.oci.blobs import BlobStore
from hardbake.oci.errors import DigestMismatch, ImageError
from hardbake.oci.filesystem import Filesystem
from hardbake.oci.image import Image, ImageIndex
from hardbake.oci.layer import TarEntry, write_layer
from hardbake.oci.platform import Platform
from hardbake.oci.validate import validate_image, validate_index
from hardbake.testing.images import EPOCH, image_of, random_image, random_index


def _skopeo(*args: str) -> str:
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, check=True).stdout


def test_write_and_read_back_one_image(tmp_path: Path, store: BlobStore) -> None:
    img = random_image(store)
    desc = layout.write(tmp_path / "out", img, tags=["v1"])
    assert desc.digest == img.digest()
    back = layout.read(tmp_path / "out", "v1")
    assert isinstance(back, Image)
    validate_image(back)
    assert back.digest() == img.digest()
    assert layout.read(tmp_path / "out").digest() == img.digest()  # type: ignore[union-attr]
    assert json.loads((tmp_path / "out" / "oci-layout").read_bytes()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((tmp_path / "out" / "index.json").read_bytes())
    assert index["manifests"][0]["annotations"] == {mt.REF_NAME: "v1"}
    info = json.loads(_skopeo("inspect", f"oci:{tmp_path / 'out'}:v1"))
    assert info["Digest"] == str(img.digest())
    assert info["Layers"] == [str(x.digest()) for x in img.layers()]
    assert info["Architecture"] == "amd64"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_several_tags_and_adding_without_rewriting_blobs(tmp_path: Path, store: BlobStore) -> None:
    out = tmp_path / "out"
    a = random_image(store, seed=1)
    layout.write(out, a, tags=["a", "latest"])
    blob = out / "blobs" / "sha256" / a.layers()[0].digest().hex
    before = blob.stat()
    b = mutate.append_layers(a, [write_layer([TarEntry.file("extra", b"1")], store)])
    layout.write(out, b, tags=["b", "latest"])
    after = blob.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    tags = layout.Layout(out).tags()
    assert {t: d.digest for t, d in tags.items()} == {"a": a.digest(), "b": b.digest(), "latest": b.digest()}
    assert json.loads(_skopeo("inspect", f"oci:{out}:latest"))["Digest"] == str(b.digest())
    with pytest.raises(ImageError, match="holds 2 images; name one"):
        layout.read(out)
    with pytest.raises(ImageError, match="no entry tagged 'c'; tags: a, b, latest"):
        layout.read(out, "c")


def test_multi_platform_index(tmp_path: Path, store: BlobStore) -> None:
    idx = random_index(store)
    layout.write(tmp_path / "out", idx, tags=["multi"])
    back = layout.read(tmp_path / "out", "multi")
    assert isinstance(back, ImageIndex)
    validate_index(back)
    raw = json.loads(_skopeo("inspect", "--raw", f"oci:{tmp_path / 'out'}:multi"))
    assert [m["platform"] for m in raw["manifests"]] == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux", "variant": "v8"},
    ]
    arm = json.loads(_skopeo("--override-arch", "arm64", "inspect", f"oci:{tmp_path / 'out'}:multi"))
    assert arm["Architecture"] == "arm64"
    assert back.image(Platform.parse("linux/arm64")).platform() == Platform("linux", "arm64", "v8")


def test_artifacts_are_found_as_referrers(tmp_path: Path, store: BlobStore) -> None:
    img = random_image(store)
    out = tmp_path / "out"
    layout.write(out, img, tags=["app"])
    sbom = mutate.artifact(
        "application/spdx+json",
        [mutate.Blob("application/spdx+json", b'{"spdxVersion":"SPDX-2.3"}')],
        subject=img.descriptor(),
    )
    sig = mutate.artifact("application/vnd.dev.cosign.artifact.sig.v1+json", [], subject=img.descriptor())
    layout.write(out, sbom)
    layout.write(out, sig)
    layout.write(out, sbom)  # again: listed once
    lay = layout.Layout(out)
    assert len(lay.index().manifests) == 3
    found = lay.referrers(img.digest())
    assert {d.artifact_type for d in found} == {
        "application/spdx+json",
        "application/vnd.dev.cosign.artifact.sig.v1+json",
    }
    assert [d.digest for d in lay.referrers(img.digest(), "application/spdx+json")] == [sbom.digest()]
    assert layout.read(out).digest() == img.digest()  # type: ignore[union-attr] # artifacts don't count
    referrer = lay.open(found[0])
    assert isinstance(referrer, Image)
    validate_image(referrer)
    assert lay.verify() >= 8


def test_umoci_unpacks_what_we_wrote_and_sees_what_filesystem_sees(tmp_path: Path, store: BlobStore) -> None:
    low = write_layer(
        [
            TarEntry.dir("etc", mtime=EPOCH),
            TarEntry.file("etc/keep", b"keep\n", mtime=EPOCH),
            TarEntry.file("etc/gone", b"gone\n", mtime=EPOCH),
            TarEntry.dir("var", mtime=EPOCH),
            TarEntry.dir("var/cache", mtime=EPOCH),
            TarEntry.file("var/cache/old", b"old\n", mtime=EPOCH),
            TarEntry.file("opt/app", b"v1\n", mode=0o755, mtime=EPOCH),
        ],
        store,
        add_parents=True,
    )
    high = write_layer(
        [
            TarEntry.whiteout("etc/gone"),
            TarEntry.dir("var/cache", mtime=EPOCH),
            TarEntry.opaque("var/cache"),
            TarEntry.file("var/cache/new", b"new\n", mtime=EPOCH),
            TarEntry.file("opt/app", b"v2\n", mode=0o755, mtime=EPOCH),
        ],
        store,
    )
    img = image_of([low, high])
    layout.write(tmp_path / "out", img, tags=["t"])
    bundle = tmp_path / "bundle"
    subprocess.run(
        ["umoci", "unpack", "--rootless", "--image", f"{tmp_path / 'out'}:t", str(bundle)],
        check=True,
        capture_output=True,
    )
    rootfs = bundle / "rootfs"
    on_disk = {str(p.relative_to(rootfs)): p.read_bytes() if p.is_file() else None for p in rootfs.rglob("*")}
    assert on_disk == {
        "etc": None,
        "etc/keep": b"keep\n",
        "var": None,
        "var/cache": None,
        "var/cache/new": b"new\n",
        "opt": None,
        "opt/app": b"v2\n",
    }
    fs = Filesystem.scan(layout.read(tmp_path / "out", "t"))  # type: ignore[arg-type]
    assert {e.path for e in fs} == set(on_disk)
    assert {p: c for p, c in ((i.path, s.read()) for i, s in fs.open_files(lambda i: True))} == {
        p: c for p, c in on_disk.items() if c is not None
    }


def test_skopeo_copies_our_layout_to_a_docker_archive_we_read_back(tmp_path: Path, store: BlobStore) -> None:
    img = random_image(store)
    layout.write(tmp_path / "out", img, tags=["t"])
    dest = tmp_path / "skopeo.tar"
    _skopeo("copy", "--quiet", f"oci:{tmp_path / 'out'}:t", f"docker-archive:{dest}:hardbake-test/skopeo:1")
    with archive.read(dest) as back:
        validate_image(back)
        assert back.config().diff_ids == img.config().diff_ids
        assert back.raw_config() == img.raw_config()


def test_corrupt_or_missing_blobs_are_detected(tmp_path: Path, store: BlobStore) -> None:
    img = random_image(store, layers=1)
    out = tmp_path / "out"
    layout.write(out, img, tags=["t"])
    blob = out / "blobs" / "sha256" / img.layers()[0].digest().hex
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 1
    blob.write_bytes(bytes(data))
    back = layout.read(out, "t")
    assert isinstance(back, Image)
    with pytest.raises(DigestMismatch, match="expected digest"):
        validate_image(back)
    with pytest.raises(DigestMismatch):
        layout.Layout(out).verify()
    blob.write_bytes(bytes(data[:-10]))
    with (
        pytest.raises(DigestMismatch, match=r"has \d+ bytes, its descriptor says"),
        back.layers()[0].compressed() as f,
    ):
        f.read()
    blob.unlink()
    with pytest.raises(ImageError, match="missing"):
        Filesystem.scan(back)
    config = out / "blobs" / "sha256" / img.config_digest().hex
    config.write_bytes(config.read_bytes().replace(b"amd64", b"arm64"))
    with pytest.raises(DigestMismatch):
        layout.read(out, "t").config()  # type: ignore[union-attr]


def test_not_a_layout_and_bad_tags(tmp_path: Path, store: BlobStore) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "file").write_text("x")
    with pytest.raises(ImageError, match="not an OCI image layout"):
        layout.read(tmp_path / "junk")
    with pytest.raises(ImageError, match="invalid tag"):
        layout.write(tmp_path / "out", random_image(store), tags=["bad tag"])
    assert not (tmp_path / "out").exists(), "a failed write leaves nothing behind"
    empty = tmp_path / "empty"
    empty.mkdir()
    layout.write(empty, random_image(store), tags=["ok"])
    assert (empty / "oci-layout").exists()
    os.chmod(empty / "index.json", 0o644)
