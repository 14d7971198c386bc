"""The deterministic layer writer."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hardbake.errors import InputError
from hardbake.oci import layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.layer import TarEntry, write_layer, write_layers
from hardbake.testing.images import random_image

SRC = str(Path(__file__).resolve().parents[2] / "src")

# Writes one layer and one layout from fixed entries; prints the layer digest.
SCRIPT = """
import sys
from pathlib import Path
from hardbake.oci.blobs import BlobStore
from hardbake.oci.layer import TarEntry, write_layer
from hardbake.oci import layout
from hardbake.testing.images import random_image
out = Path(sys.argv[1])
src = out / "src.bin"
src.write_bytes(bytes(range(256)) * 9000)
entries = [
    TarEntry.dir("usr", mtime=1_900_000_000),
    TarEntry.file("usr/big", src, mode=0o4755, uid=65532, gid=65532, uname="nonroot", gname="nonroot",
                  mtime=1_900_000_000),
    TarEntry.file("usr/small", b"hi", mtime=5),
    TarEntry.symlink("bin", "usr/bin"),
    TarEntry.hardlink("usr/again", "usr/small"),
    TarEntry.whiteout("etc/old"),
]
layer = write_layer(entries, BlobStore(out / "store"), source_date_epoch=1_700_000_000)
layout.write(out / "layout", random_image(out / "store2"), tags=["t"])
print(layer.digest(), layer.diff_id())
"""


def _run(out: Path, tz: str, umask: str) -> str:
    out.mkdir()
    cmd = f"umask {umask} && exec {sys.executable} -c '{SCRIPT}' {out}"
    env = {**os.environ, "PYTHONPATH": SRC, "TZ": tz}
    return subprocess.run(["sh", "-c", cmd], env=env, capture_output=True, text=True, check=True).stdout


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_input_gives_identical_bytes_across_processes_tz_and_umask(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", "UTC", "022")
    b = _run(tmp_path / "b", "Pacific/Kiritimati", "077")
    assert a == b and a.startswith("sha256:")
    assert _tree(tmp_path / "a" / "layout") == _tree(tmp_path / "b" / "layout")
    assert _tree(tmp_path / "a" / "store") == _tree(tmp_path / "b" / "store")
    digest = a.split()[0]
    assert (
        tmp_path / "a" / "store" / "sha256" / digest.removeprefix("sha256:")
    ).stat().st_mode & 0o777 == 0o644


def test_layer_content_as_gnu_tar_and_tarfile_see_it(store: BlobStore) -> None:
    entries = [
        TarEntry.dir("usr", mtime=1_900_000_000),
        TarEntry.dir("usr/bin", mode=0o755, mtime=10),
        TarEntry.file("usr/bin/su", b"#!", mode=0o4755, uid=0, gid=0, mtime=20),
        TarEntry.file(
            "home/nonroot/x", b"abc", mode=0o600, uid=65532, gid=65532, uname="nonroot", gname="nonroot"
        ),
        TarEntry.symlink("bin", "usr/bin"),
        TarEntry.opaque("var/cache"),
    ]
    layer = write_layer(entries, store, source_date_epoch=1_000)
    listing = subprocess.run(
        ["tar", "--numeric-owner", "-tvzf", str(layer.path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert listing[0].startswith("lrwxrwxrwx 0/0") and listing[0].endswith("bin -> usr/bin")
    assert any(line.startswith("-rw------- 65532/65532") and "home/nonroot/x" in line for line in listing)
    assert any(line.startswith("-rwsr-xr-x 0/0") and line.endswith("usr/bin/su") for line in listing)
    with tarfile.open(layer.path) as tf:
        by_name = {m.name: m for m in tf.getmembers()}
        assert by_name["usr"].mtime == 1_000  # clamped
        assert by_name["usr/bin"].mtime == 10  # older: kept
        assert by_name["home/nonroot/x"].uname == "nonroot"
        assert by_name["var/cache/.wh..wh..opq"].size == 0
        assert tf.extractfile("home/nonroot/x").read() == b"abc"  # type: ignore[union-attr]
    raw = gzip.decompress(layer.path.read_bytes())
    assert layer.diff_id().hex == hashlib.sha256(raw).hexdigest()
    assert layer.digest().hex == hashlib.sha256(layer.path.read_bytes()).hexdigest()
    assert layer.size() == layer.path.stat().st_size


def test_data_from_bytes_path_and_opener_give_the_same_layer(tmp_path: Path, store: BlobStore) -> None:
    data = os.urandom(3 << 20)
    p = tmp_path / "f"
    p.write_bytes(data)
    layers = [
        write_layer([TarEntry.file("f", data)], store),
        write_layer([TarEntry.file("f", p)], store),
        write_layer([TarEntry.file("f", lambda: io.BytesIO(data), size=len(data))], store),
    ]
    assert len({(x.digest(), x.diff_id()) for x in layers}) == 1


def test_parallel_layers_equal_one_at_a_time(store: BlobStore) -> None:
    contents = [[TarEntry.file(f"l{i}/f", os.urandom(100_000 * (i + 1)))] for i in range(4)]
    together = write_layers(contents, store, workers=3)
    alone = [write_layer(c, store, workers=1) for c in contents]
    assert [x.digest() for x in together] == [x.digest() for x in alone]


def test_a_source_that_changed_size_is_an_error_naming_the_entry(tmp_path: Path, store: BlobStore) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"12345")
    entry = TarEntry.file("etc/conf", p)
    p.write_bytes(b"123")
    with pytest.raises(InputError, match=r"'etc/conf': size says 5 bytes but its data source .* has 3"):
        write_layer([entry], store)
    p.write_bytes(b"1234567")
    with pytest.raises(InputError, match=r"'etc/conf': .* has more"):
        write_layer([entry], store)
    assert not list((store.root / "sha256").iterdir()), "no partial blob is left behind"


def test_invalid_layers_fail_before_anything_is_written(store: BlobStore) -> None:
    good = [TarEntry.file("a", b"x")]
    bad = [TarEntry.file("a", b"x"), TarEntry.file("a", b"y")]
    with pytest.raises(InputError, match="duplicate"):
        write_layers([good, bad], store)
    assert not list((store.root / "sha256").iterdir())
    with pytest.raises(InputError, match="compression level"):
        write_layer(good, store, level=11)


def test_random_image_is_reproducible(tmp_path: Path) -> None:
    a = random_image(tmp_path / "a", seed=3)
    b = random_image(tmp_path / "b", seed=3)
    c = random_image(tmp_path / "c", seed=4)
    assert a.digest() == b.digest() != c.digest()
    layout.write(tmp_path / "la", a, tags=["x"])
    layout.write(tmp_path / "lb", b, tags=["x"])
    assert _tree(tmp_path / "la") == _tree(tmp_path / "lb")
