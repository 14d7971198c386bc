"""docker-archive written and read; `docker load` and skopeo as independent readers."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from hardbake.oci import archive, layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.errors import DigestMismatch, ImageError
from hardbake.oci.filesystem import Filesystem
from hardbake.oci.tarstream import TarReader
from hardbake.oci.validate import validate_image
from hardbake.testing.images import random_image


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tf:
        return {m.name: tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_round_trip_keeps_the_digest(tmp_path: Path, store: BlobStore) -> None:
    img = random_image(store)
    archive.write(tmp_path / "a.tar", img, tags=["hardbake-test/app:1", "docker.io/library/app:latest"])
    with archive.read(tmp_path / "a.tar") as back:
        validate_image(back)
        assert back.digest() == img.digest(), "recompressed deterministically, the manifest is the same"
        assert back.config_digest() == img.config_digest()
    members = _members(tmp_path / "a.tar")
    manifest = json.loads(members["manifest.json"])
    assert manifest[0]["RepoTags"] == ["hardbake-test/app:1", "app:latest"]
    assert manifest[0]["Config"] == f"{img.config_digest().hex}.json"
    assert len(manifest[0]["Layers"]) == 3
    assert json.loads(members["repositories"]) == {
        "hardbake-test/app": {"1": manifest[0]["Layers"][-1].split("/")[0]},
        "app": {"latest": manifest[0]["Layers"][-1].split("/")[0]},
    }
    for name in manifest[0]["Layers"]:
        assert members[name][257:262] == b"ustar", "layers are stored uncompressed, like docker save"
    archive.write(tmp_path / "b.tar", img, tags=["hardbake-test/app:1", "docker.io/library/app:latest"])
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()


def test_compressed_archive_and_gzip_of_the_whole_archive(tmp_path: Path, store: BlobStore) -> None:
    img = random_image(store)
    archive.write(tmp_path / "c.tar", img, compressed=True)
    with archive.read(tmp_path / "c.tar") as back:
        validate_image(back)
        assert [x.digest() for x in back.layers()] == [x.digest() for x in img.layers()]
    (tmp_path / "c.tar.gz").write_bytes(gzip.compress((tmp_path / "c.tar").read_bytes()))
    with archive.read(tmp_path / "c.tar.gz") as back:
        assert back.digest() == img.digest()


def test_skopeo_reads_our_archive(tmp_path: Path, store: BlobStore) -> None:
    img = random_image(store)
    archive.write(tmp_path / "a.tar", img, tags=["hardbake-test/app:1"])
    info = json.loads(
        subprocess.run(
            ["skopeo", "inspect", f"docker-archive:{tmp_path / 'a.tar'}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert info["Architecture"] == "amd64"
    subprocess.run(
        ["skopeo", "copy", "--quiet", f"docker-archive:{tmp_path / 'a.tar'}", f"oci:{tmp_path / 'lay'}:t"],
        check=True,
        capture_output=True,
    )
    back = layout.read(tmp_path / "lay", "t")
    assert back.config().diff_ids == img.config().diff_ids  # type: ignore[union-attr]


def test_several_images_in_one_archive(tmp_path: Path, store: BlobStore) -> None:
    a, b = random_image(store, seed=1), random_image(store, seed=2)
    archive.write(tmp_path / "a.tar", a, tags=["x/a:1"])
    archive.write(tmp_path / "b.tar", b, tags=["x/b:1"])
    ma, mb = _members(tmp_path / "a.tar"), _members(tmp_path / "b.tar")
    both = {**ma, **mb}
    both["manifest.json"] = json.dumps(
        json.loads(ma["manifest.json"]) + json.loads(mb["manifest.json"])
    ).encode()
    with tarfile.open(tmp_path / "both.tar", "w") as tf:
        for name, data in both.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with pytest.raises(ImageError, match="holds 2 images; name one") as e:
        archive.read(tmp_path / "both.tar")
    assert "x/a:1" in e.value.diagnostics()
    with archive.read(tmp_path / "both.tar", "x/b:1") as back:
        assert back.digest() == b.digest()
    with pytest.raises(ImageError, match="no image tagged 'x/c:1'"):
        archive.read(tmp_path / "both.tar", "x/c:1")


def test_broken_archives(tmp_path: Path, store: BlobStore) -> None:
    img = random_image(store, layers=1)
    archive.write(tmp_path / "a.tar", img)
    members = _members(tmp_path / "a.tar")
    layer_name = json.loads(members["manifest.json"])[0]["Layers"][0]

    def rewrite(name: str, changes: dict[str, bytes | None]) -> Path:
        out = tmp_path / name
        with tarfile.open(out, "w") as tf:
            for n, data in {**members, **changes}.items():
                if data is None:
                    continue
                info = tarfile.TarInfo(n)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        return out

    with pytest.raises(ImageError, match=r"no manifest\.json"):
        archive.read(rewrite("m.tar", {"manifest.json": None}))
    with pytest.raises(ImageError, match="is not in the archive"):
        archive.read(rewrite("l.tar", {layer_name: None}))
    tampered = bytearray(members[layer_name])
    reader = TarReader(io.BytesIO(members[layer_name]), "t")
    data_at = next(h.offset for h in reader if h.is_regular and h.size)
    tampered[data_at] ^= 1  # file data, not a header: only the diff_id can tell
    with (
        archive.read(rewrite("t.tar", {layer_name: bytes(tampered)})) as bad,
        pytest.raises(DigestMismatch, match="diff_id"),
    ):
        Filesystem.scan(bad)
    with pytest.raises(ImageError, match="cannot open"):
        archive.read(tmp_path / "missing.tar")


@pytest.mark.docker
def test_docker_load_accepts_our_archive(
    tmp_path: Path, store: BlobStore, docker_engine: Any, engine_images: Any
) -> None:
    img = random_image(store)
    name = engine_images()
    archive.write(tmp_path / "a.tar", img, tags=[name])
    out = subprocess.run(
        ["docker", "load", "-i", str(tmp_path / "a.tar")], capture_output=True, text=True, check=True
    )
    assert f"Loaded image: {name}" in out.stdout
    assert docker_engine.images.get(name).id == str(img.config_digest())
