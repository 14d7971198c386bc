"""docker-daemon: load through the Engine API, run, read back (real engine)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import zstandard

from hardbake.oci import archive, daemon, layout, mutate
from hardbake.oci import mediatype as mt
from hardbake.oci.blobs import BlobStore
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.errors import ImageError
from hardbake.oci.filesystem import Filesystem
from hardbake.oci.layer import BlobLayer, TarEntry, write_layer
from hardbake.oci.reference import RegistryRef
from hardbake.oci.tarstream import TarReader
from hardbake.oci.validate import validate_image
from hardbake.testing.images import binary_image, random_image

pytestmark = pytest.mark.docker

HARDENED = ["--network", "none", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]


def _run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "run", "--rm", *HARDENED, name, *args], capture_output=True, text=True)


def test_load_and_run_a_static_binary_as_non_root(
    store: BlobStore, go_binary: Path, docker_engine: Any, engine_images: Any
) -> None:
    img = binary_image(store, go_binary)
    name = engine_images()
    image_id = daemon.write(img, RegistryRef.parse(name), engine=docker_engine)
    assert image_id == str(img.config_digest())
    out = _run(name, "/etc/hello")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "uid=65532 gid=65532\nhello from hardbake\n"


def test_read_back_from_the_engine_is_the_same_image(
    store: BlobStore, go_binary: Path, docker_engine: Any, engine_images: Any
) -> None:
    img = binary_image(store, go_binary)
    name = engine_images()
    daemon.write(img, RegistryRef.parse(name), engine=docker_engine)
    with daemon.read(RegistryRef.parse(name), engine=docker_engine) as back:
        validate_image(back)
        assert back.raw_config() == img.raw_config()
        assert back.digest() == img.digest(), "deterministic compression gives back the same manifest"
        assert str(back).startswith("docker-daemon:")
        fs = Filesystem.scan(back)
        assert fs.read_bytes("/etc/hello") == b"hello from hardbake\n"
        assert fs.get("app").size == go_binary.stat().st_size  # type: ignore[union-attr]


def test_layout_to_archive_to_daemon_and_back_keeps_diff_ids(
    tmp_path: Path, store: BlobStore, go_binary: Path, docker_engine: Any, engine_images: Any
) -> None:
    base = binary_image(store, go_binary)
    img = mutate.append_layers(
        base, [write_layer([TarEntry.whiteout("etc/hello"), TarEntry.file("etc/new", b"new\n")], store)]
    )
    layout.write(tmp_path / "lay", img, tags=["t"])
    from_layout = layout.read(tmp_path / "lay", "t")
    name = engine_images()
    archive.write(tmp_path / "a.tar", from_layout, tags=[name])  # type: ignore[arg-type]
    with archive.read(tmp_path / "a.tar") as from_archive:
        daemon.write(from_archive, RegistryRef.parse(name), engine=docker_engine)
    with daemon.read(RegistryRef.parse(name), engine=docker_engine) as back:
        assert back.config().diff_ids == img.config().diff_ids
        fs = Filesystem.scan(back)
        assert "etc/hello" not in fs and fs.read_bytes("etc/new") == b"new\n"
    gone = _run(name, "/etc/hello")
    assert gone.returncode == 3 and "no such file" in gone.stdout
    assert _run(name, "/etc/new").stdout.endswith("new\n")


def test_whiteouts_and_opaque_dirs_made_by_the_engine_itself_are_honoured(
    store: BlobStore, go_binary: Path, docker_engine: Any, engine_images: Any
) -> None:
    """`docker commit` of a container that deleted and replaced files: Docker writes the
    whiteouts, hardbake reads them."""
    base = binary_image(store, go_binary)
    cache = [TarEntry.dir("var"), TarEntry.dir("var/cache"), TarEntry.file("var/cache/old", b"old\n")]
    img = mutate.append_layers(base, [write_layer(cache, store)])
    name, committed = engine_images(), engine_images()
    daemon.write(img, RegistryRef.parse(name), engine=docker_engine)
    container = docker_engine.containers.run(
        name,
        ["rm:/etc/hello", "rm:/var/cache", "mkdir:/var/cache", "write:/var/cache/new"],
        user="0",
        network_mode="none",
        detach=True,
    )
    try:
        assert container.wait(timeout=60)["StatusCode"] == 0, container.logs()
        repo, tag = committed.rsplit(":", 1)
        container.commit(repository=repo, tag=tag)
    finally:
        container.remove(force=True)
    with daemon.read(RegistryRef.parse(committed), engine=docker_engine) as back:
        validate_image(back)
        assert len(back.layers()) == 3
        fs = Filesystem.scan(back)
        assert "etc/hello" not in fs and "var/cache/old" not in fs
        assert fs.read_bytes("var/cache/new") == b"written\n"
        assert fs.get("app").layer == 0  # type: ignore[union-attr]
        assert fs.get("var/cache/new").layer == 2  # type: ignore[union-attr]
        with back.layers()[2].uncompressed() as f:
            names = [h.name for h in TarReader(f, "top")]
        assert "etc/.wh.hello" in names and "var/cache/.wh..wh..opq" in names


def test_zstd_layers_are_recompressed_for_docker_20_10(
    store: BlobStore, go_binary: Path, docker_engine: Any, engine_images: Any
) -> None:
    base = binary_image(store, go_binary)
    gz = write_layer([TarEntry.file("etc/z", b"zstd\n")], store)
    with gz.uncompressed() as f:
        zdata = zstandard.ZstdCompressor().compress(f.read())
    digest = store.write_bytes(zdata)
    zl = BlobLayer(store, Descriptor(mt.OCI_LAYER_ZSTD, digest, len(zdata)), gz.diff_id())
    img = mutate.append_layers(base, [zl])
    validate_image(img)
    assert len(img.config().history) == 2
    name = engine_images()
    daemon.write(img, RegistryRef.parse(name), engine=docker_engine)
    assert _run(name, "/etc/z").stdout.endswith("zstd\n")


def test_engine_errors_are_clear(store: BlobStore, docker_engine: Any) -> None:
    with pytest.raises(ImageError, match="no such image in the Docker engine"):
        daemon.read(RegistryRef.parse("hardbake-test/does-not-exist:never"), engine=docker_engine)
    with pytest.raises(ImageError, match="needs NAME:TAG"):
        daemon.write(random_image(store), RegistryRef.parse("x@sha256:" + "a" * 64), engine=docker_engine)
