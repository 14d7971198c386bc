"""The registry transport: images read from and written to a real registry (docker-registry)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hardbake.errors import InputError, NetworkError
from hardbake.oci import Filesystem, layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.errors import DigestMismatch
from hardbake.oci.image import Image
from hardbake.oci.platform import Platform
from hardbake.oci.progress import Tally
from hardbake.oci.reference import RegistryRef, parse_image_ref
from hardbake.oci.registry import RetryPolicy
from hardbake.oci.remote import RegistryAccess, RemoteImage, RemoteIndex, read, write
from hardbake.oci.transport import open_any, open_image, write_image
from hardbake.oci.validate import validate_image, validate_index
from hardbake.testing.images import random_image, random_index
from hardbake.testing.net import free_port
from hardbake.testing.registry import LocalRegistry, local_registry

ARM64 = Platform.parse("linux/arm64")


def _ref(registry: LocalRegistry, name: str) -> RegistryRef:
    ref = parse_image_ref(f"{registry.host}/{name}")
    assert isinstance(ref, RegistryRef)
    return ref


def _blob_file(registry: LocalRegistry, digest: str) -> Path:
    hexpart = digest.split(":", 1)[1]
    return registry.root / "data/docker/registry/v2/blobs/sha256" / hexpart[:2] / hexpart / "data"


def test_index_roundtrip_exists_and_mount(registry: LocalRegistry, store: BlobStore) -> None:
    idx = random_index(store, files=10, max_size=50_000)
    first, again, mounted = Tally(), Tally(), Tally()
    with RegistryAccess(chunk_size=64 * 1024) as access:  # small chunks: every layer goes chunked
        desc = write(idx, _ref(registry, "r/app:v1"), access, progress=first)
        assert desc.digest == idx.digest() and first.blobs["copied"] == 8  # 2 configs + 6 layers
        write(idx, _ref(registry, "r/app:v1"), access, progress=again)
        assert again.blobs == {"copied": 0, "exists": 8, "mounted": 0}
        with read(_ref(registry, "r/app:v1"), access) as back:
            assert isinstance(back, RemoteIndex) and back.digest() == idx.digest()
            validate_index(back)  # every manifest, config and layer checked by digest and diff_id
            write(back, _ref(registry, "other/app:v2"), access, progress=mounted)
        assert mounted.blobs == {"copied": 0, "exists": 0, "mounted": 8}
        with read(_ref(registry, f"other/app@{idx.digest()}"), access) as by_digest:
            assert by_digest.digest() == idx.digest()


def test_registry_to_registry_and_layout(registry: LocalRegistry, store: BlobStore, tmp_path: Path) -> None:
    idx = random_index(store)
    write_image(idx, parse_image_ref(f"{registry.host}/a/b:v1"))
    with local_registry() as second:
        with open_any(parse_image_ref(f"{registry.host}/a/b:v1")) as src:
            desc = write_image(src, parse_image_ref(f"{second.host}/c/d:v9"))
        assert desc.digest == idx.digest()
        with open_any(parse_image_ref(f"{second.host}/c/d:v9")) as src:
            write_image(src, parse_image_ref(f"oci:{tmp_path / 'lay'}:v9"))
    assert layout.Layout(tmp_path / "lay").verify() == 11  # index, 2 manifests, 2 configs, 6 layers
    assert layout.read(tmp_path / "lay", "v9").digest() == idx.digest()


def test_open_image_selects_a_platform_and_scans_from_the_cache(
    registry: LocalRegistry, store: BlobStore
) -> None:
    write_image(random_index(store, files=8), parse_image_ref(f"{registry.host}/s/app:v1"))
    with open_image(parse_image_ref(f"{registry.host}/s/app:v1"), ARM64) as img:
        assert isinstance(img, RemoteImage) and img.platform().matches(ARM64)
        validate_image(img)
        fs = Filesystem.scan(img)
        registry.stop()  # every layer was read whole once: the second pass reads the cache
        names = [info.path for info, _ in fs.open_files(lambda i: i.path.endswith("/f0"))]
        assert names == ["layer0/f0", "layer1/f0", "layer2/f0"]
    registry.start()


def test_a_digest_reference_must_match(registry: LocalRegistry, store: BlobStore) -> None:
    img = random_image(store)
    wrong = "sha256:" + "1" * 64
    with pytest.raises(InputError, match="names digest"):
        write_image(img, parse_image_ref(f"{registry.host}/d/app@{wrong}"))
    desc = write_image(img, parse_image_ref(f"{registry.host}/d/app@{img.digest()}"))
    assert desc.digest == img.digest()


def test_tampered_registry_blob_is_refused(registry: LocalRegistry, store: BlobStore, tmp_path: Path) -> None:
    img = random_image(store, files=4, max_size=20_000)
    write_image(img, parse_image_ref(f"{registry.host}/t/app:v1"))
    layer = img.manifest().layers[1]
    path = _blob_file(registry, str(layer.digest))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes
    path.write_bytes(bytes(data))
    with (
        open_image(parse_image_ref(f"{registry.host}/t/app:v1")) as back,
        pytest.raises(DigestMismatch, match="expected digest"),
    ):
        Filesystem.scan(back)
    with pytest.raises(DigestMismatch, match="expected digest"):
        write_image(
            open_any(parse_image_ref(f"{registry.host}/t/app:v1")),
            parse_image_ref(f"oci:{tmp_path / 'x'}:v1"),
        )
    assert not (tmp_path / "x").exists()  # nothing half-written


def test_tampered_layout_blob_is_named_on_push(
    registry: LocalRegistry, store: BlobStore, tmp_path: Path
) -> None:
    img = random_image(store, files=4, max_size=20_000)
    layout.write(tmp_path / "lay", img, tags=["v1"])
    layer = img.manifest().layers[0]
    blob = tmp_path / "lay/blobs/sha256" / layer.digest.hex
    data = bytearray(blob.read_bytes())
    data[-20] ^= 0xFF
    blob.write_bytes(bytes(data))
    with RegistryAccess(chunk_size=None) as access, pytest.raises(DigestMismatch, match="should hold blob"):
        write(layout.read(tmp_path / "lay", "v1"), _ref(registry, "t/app:v1"), access)


def test_docker_media_types_written_by_skopeo(
    registry: LocalRegistry, store: BlobStore, tmp_path: Path
) -> None:
    """skopeo converts to Docker schema 2 on the way in; we read and re-push it byte for byte."""
    layout.write(tmp_path / "lay", random_image(store), tags=["v1"])
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            "--format",
            "v2s2",
            f"oci:{tmp_path / 'lay'}:v1",
            f"docker://{registry.host}/peer/docker:v1",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with open_any(parse_image_ref(f"{registry.host}/peer/docker:v1")) as img:
        assert (
            isinstance(img, Image)
            and img.media_type() == "application/vnd.docker.distribution.manifest.v2+json"
        )
        validate_image(img)
        desc = write_image(img, parse_image_ref(f"{registry.host}/peer/again:v1"))
        assert desc.digest == img.digest()


def test_missing_things(registry: LocalRegistry) -> None:
    with pytest.raises(InputError, match="not found"):
        open_any(parse_image_ref(f"{registry.host}/no/such:v1"))
    with (
        RegistryAccess(retry=RetryPolicy(attempts=2, base=0.01)) as access,
        pytest.raises(NetworkError, match="Connection refused"),
    ):
        open_any(parse_image_ref(f"127.0.0.1:{free_port()}/no/registry:v1"), access=access)


def test_platform_image_of_an_index_owns_the_cache(
    registry: LocalRegistry, store: BlobStore, tmp_path: Path
) -> None:
    write_image(random_index(store), parse_image_ref(f"{registry.host}/o/app:v1"))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    img = open_image(parse_image_ref(f"{registry.host}/o/app:v1"), ARM64, tmp_dir=tmp)
    with img.open_blob(img.manifest().layers[0]) as f:
        f.read()
    assert len(list(tmp.iterdir())) == 1  # the index's blob cache, now the image's
    img.close()
    assert list(tmp.iterdir()) == []
