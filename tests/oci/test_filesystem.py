"""The streaming view of an image's final filesystem (whiteouts, replacement, bad layers)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hardbake.oci import layout
from hardbake.oci import mediatype as mt
from hardbake.oci.blobs import BlobStore
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import DigestMismatch, ImageError
from hardbake.oci.filesystem import EntryKind, Filesystem
from hardbake.oci.layer import BlobLayer
from hardbake.testing.images import image_of, layer_from_tar, tar_bytes, tar_member

D, F, S, L = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE


def _layer(store: BlobStore, *members: tuple[str, bytes, bytes | str | None]) -> BlobLayer:
    built = []
    for name, kind, extra in members:
        if kind in (S, L):
            built.append((tar_member(name, kind, linkname=str(extra)), None))
        elif kind == F:
            built.append((tar_member(name, kind), extra if isinstance(extra, bytes) else b""))
        else:
            built.append((tar_member(name, kind, mode=0o755), None))
    return layer_from_tar(store, tar_bytes(built))


def test_whiteouts_opaque_dirs_and_replacements(store: BlobStore) -> None:
    l0 = _layer(
        store,
        ("./", D, None),
        ("a/", D, None),
        ("a/x", F, b"x"),
        ("a/y", F, b"y"),
        ("b", F, b"b was a file"),
        ("c/", D, None),
        ("c/d", F, b"d"),
        ("usr/lib/", D, None),
        ("usr/lib/libc", F, b"libc"),
        ("lib", S, "usr/lib"),
        ("keep", F, b"kept"),
    )
    l1 = _layer(
        store,
        ("a/.wh.x", F, b""),
        (".wh.c", F, b""),
        ("b/", D, None),
        ("b/new", F, b"new"),
        ("lib/", D, None),  # a directory entry replaces the merged-/usr symlink
        ("lib/z", F, b"z"),
    )
    l2 = _layer(
        store, ("a/", D, None), ("a/.wh..wh..opq", F, b""), ("a/fresh", F, b"fresh"), ("c/again", F, b"c")
    )
    fs = Filesystem.scan(image_of([l0, l1, l2]))
    kinds = {e.path: e.kind.value for e in fs}
    assert kinds == {
        "a": "dir",
        "a/fresh": "file",
        "b": "dir",
        "b/new": "file",
        "c": "dir",  # implicit parent of c/again
        "c/again": "file",
        "keep": "file",
        "lib": "dir",
        "lib/z": "file",
        "usr": "dir",
        "usr/lib": "dir",
        "usr/lib/libc": "file",
    }
    assert fs.get("/a/fresh").layer == 2  # type: ignore[union-attr]
    assert fs.get("keep").layer == 0  # type: ignore[union-attr]
    contents = {i.path: s.read() for i, s in fs.open_files(lambda i: True)}
    assert contents == {
        "a/fresh": b"fresh",
        "b/new": b"new",
        "c/again": b"c",
        "keep": b"kept",
        "lib/z": b"z",
        "usr/lib/libc": b"libc",
    }


def test_a_file_over_a_directory_hides_what_was_below(store: BlobStore) -> None:
    l0 = _layer(store, ("etc/", D, None), ("etc/ssl/", D, None), ("etc/ssl/cert", F, b"c"))
    l1 = _layer(store, ("etc/ssl", S, "/usr/share/ssl"))
    fs = Filesystem.scan(image_of([l0, l1]))
    assert [(e.path, e.kind) for e in fs] == [("etc", EntryKind.DIR), ("etc/ssl", EntryKind.SYMLINK)]
    assert fs.get("etc/ssl").linkname == "/usr/share/ssl"  # type: ignore[union-attr]


def test_hardlinks_within_and_across_layers(store: BlobStore) -> None:
    l0 = _layer(
        store, ("bin/", D, None), ("bin/python3.11", F, b"PY" * 1000), ("bin/py", L, "bin/python3.11")
    )
    l1 = _layer(store, ("usr/bin/python3", L, "bin/python3.11"))  # to a lower layer's file
    l2 = _layer(store, ("bin/.wh.python3.11", F, b""))  # the first name goes, the others keep the bytes
    fs = Filesystem.scan(image_of([l0, l1, l2]))
    assert "bin/python3.11" not in fs
    link = fs.get("usr/bin/python3")
    assert link is not None and link.kind is EntryKind.HARDLINK and link.size == 2000 and link.is_file
    got = {i.path: s.read() for i, s in fs.open_files(["bin/py", "usr/bin/python3", "missing", "bin"])}
    assert got == {"bin/py": b"PY" * 1000, "usr/bin/python3": b"PY" * 1000}


def test_selection_by_predicate_streams_only_what_is_asked(store: BlobStore) -> None:
    l0 = _layer(
        store, ("var/lib/dpkg/status.d/", D, None), ("var/lib/dpkg/status.d/libc6", F, b"Package: libc6\n")
    )
    l1 = _layer(store, ("big", F, os.urandom(500_000)), ("etc/os-release", F, b"ID=debian\n"))
    fs = Filesystem.scan(image_of([l0, l1]))
    picked = [
        (i.path, s.read())
        for i, s in fs.open_files(
            lambda i: i.path.startswith("var/lib/dpkg/") or i.path.endswith("os-release")
        )
    ]
    assert picked == [
        ("var/lib/dpkg/status.d/libc6", b"Package: libc6\n"),
        ("etc/os-release", b"ID=debian\n"),
    ]
    assert fs.read_bytes("etc/os-release") == b"ID=debian\n"
    with pytest.raises(ImageError, match="more than 1000"):
        fs.read_bytes("big", limit=1000)
    with pytest.raises(ImageError, match="not a regular file"):
        fs.read_bytes("var/lib/dpkg")


def test_very_deep_paths_do_not_exhaust_the_stack(store: BlobStore) -> None:
    deep = "/".join(["d"] * 3000) + "/f"
    fs = Filesystem.scan(image_of([_layer(store, (deep, F, b"deep"))]))
    assert len(fs) == 3001 and fs.read_bytes(deep) == b"deep"


def test_device_nodes_in_someone_elses_image_are_listed(store: BlobStore) -> None:
    info = tar_member("dev/null", tarfile.CHRTYPE, mode=0o666)
    info.devmajor, info.devminor = 1, 3
    fs = Filesystem.scan(image_of([layer_from_tar(store, tar_bytes([(info, None)]))]))
    assert fs.get("dev/null").kind is EntryKind.CHAR  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ([("usr/../../etc/passwd", F, b"x")], r"entry 'usr/../../etc/passwd'.* climbs out with '\.\.'"),
        ([("/etc/passwd", F, b"x")], r"entry '/etc/passwd': absolute path"),
        ([("evil", L, "../../etc/shadow")], r"entry 'evil' hardlink target.*'\.\.'"),
        ([("evil", L, "etc/shadow")], r"entry 'evil': hardlink to 'etc/shadow', which is not in the image"),
        ([("etc/.wh...", F, b"")], r"whiteout of '\.\.' is meaningless"),
    ],
)
def test_hostile_entries_name_the_layer_and_entry(
    store: BlobStore, members: list[tuple[str, bytes, bytes | str | None]], says: str
) -> None:
    good = _layer(store, ("ok", F, b"ok"))
    bad = _layer(store, *members)
    with pytest.raises(ImageError, match=says) as e:
        Filesystem.scan(image_of([good, bad]))
    assert f"layer 1 ({bad.diff_id()})" in e.value.message


def _raw_layer(store: BlobStore, blob: bytes, diff_id: Digest) -> BlobLayer:
    digest = store.write_bytes(blob)
    return BlobLayer(store, Descriptor(mt.OCI_LAYER_GZIP, digest, len(blob)), diff_id)


def test_corrupt_truncated_and_mismatched_layers(store: BlobStore) -> None:
    tar = tar_bytes([(tar_member("f"), os.urandom(200_000))])
    gz = gzip.compress(tar)
    diff_id = Digest.from_bytes(tar)
    truncated = _raw_layer(store, gz[: len(gz) // 2], diff_id)
    with pytest.raises(ImageError, match=r"layer 0 \(sha256:.*corrupt gzip data"):
        Filesystem.scan(image_of([truncated]))
    garbage = bytearray(gz)
    garbage[len(gz) // 2 : len(gz) // 2 + 64] = b"\0" * 64
    with pytest.raises(ImageError, match="corrupt gzip"):
        Filesystem.scan(image_of([_raw_layer(store, bytes(garbage), diff_id)]))
    wrong = _raw_layer(store, gzip.compress(tar_bytes([(tar_member("g"), b"other")])), diff_id)
    with pytest.raises(DigestMismatch, match="expected digest " + str(diff_id)):
        Filesystem.scan(image_of([wrong]))
    good = _raw_layer(store, gz, diff_id)
    (store.root / "sha256" / good.digest().hex).write_bytes(gz[:-1] + bytes([gz[-1] ^ 1]))
    with pytest.raises(DigestMismatch, match=f"layer 0 .*layer {good.digest()}: expected digest"):
        Filesystem.scan(image_of([good]))


BIG = """
import hashlib, os, resource, sys
from pathlib import Path
from hardbake.oci import layout
from hardbake.oci.filesystem import Filesystem
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
image = layout.read(Path(sys.argv[1]), "big")
fs = Filesystem.scan(image)
h = hashlib.sha256()
for info, stream in fs.open_files(["data/big"]):
    while chunk := stream.read(1 << 20):
        h.update(chunk)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(h.hexdigest(), (after - before) // 1024)
"""


@pytest.mark.slow
def test_a_layer_larger_than_the_memory_it_is_read_with(tmp_path: Path, store: BlobStore) -> None:
    size = 128 << 20
    seed = os.urandom(4096)

    class Gen:
        """128 MiB made on the fly: never in memory here either."""

        def __init__(self) -> None:
            self.left, self.n = size, 0

        def read(self, n: int = -1) -> bytes:
            n = min(self.left, 1 << 20 if n < 0 else n)
            self.left -= n
            self.n += 1
            return (self.n.to_bytes(8, "big") + seed) * (n // 4104) + seed[: n % 4104]

        def __enter__(self) -> Gen:
            return self

        def __exit__(self, *a: object) -> None:
            pass

    from hardbake.oci.layer import TarEntry, write_layer

    expected = __import__("hashlib").sha256()
    g = Gen()
    while chunk := g.read(1 << 20):
        expected.update(chunk)
    layer = write_layer(
        [TarEntry.dir("data"), TarEntry.file("data/big", Gen, size=size)],  # type: ignore[arg-type]
        store,
        level=1,
    )
    layout.write(tmp_path / "lay", image_of([layer]), tags=["big"])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    out = subprocess.run(
        [sys.executable, "-c", BIG, str(tmp_path / "lay")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0] == expected.hexdigest()
    assert int(out[1]) < 48, f"reading a {size >> 20} MiB layer grew the process by {out[1]} MiB"
