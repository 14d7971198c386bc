"""`Filesystem.scan(image, capture)`: regular files read during pass 1; `shows` tells which
reads the final tree still holds."""

from __future__ import annotations

from typing import BinaryIO

from hardbake.oci import BlobStore, FileInfo, Filesystem, TarEntry
from hardbake.oci.layer import write_layers
from hardbake.testing.images import image_of


class Recorder:
    def __init__(self) -> None:
        self.read: list[tuple[FileInfo, bytes]] = []

    def wants(self, info: FileInfo) -> bool:
        return info.path.startswith("etc/")

    def take(self, info: FileInfo, stream: BinaryIO) -> None:
        self.read.append((info, stream.read()))


def test_capture_reads_once_and_shows_the_final_tree(store: BlobStore) -> None:
    layers = write_layers(
        [
            [
                TarEntry.file("etc/a", b"a0"),
                TarEntry.file("etc/b", b"b0"),
                TarEntry.file("etc/c", b"c0"),
                TarEntry.file("usr/x", b"x"),
            ],
            [TarEntry.file("etc/a", b"a1"), TarEntry.whiteout("etc/b"), TarEntry.hardlink("etc/d", "etc/a")],
        ],
        store,
        add_parents=True,
    )
    rec = Recorder()
    fs = Filesystem.scan(image_of(layers), rec)
    got = [(i.path, i.layer, data) for i, data in rec.read]
    # every wanted regular member, in stream order; the hardlink is not a member with bytes
    assert got == [("etc/a", 0, b"a0"), ("etc/b", 0, b"b0"), ("etc/c", 0, b"c0"), ("etc/a", 1, b"a1")]
    shown = {(i.path, data) for i, data in rec.read if fs.shows(i)}
    assert shown == {("etc/a", b"a1"), ("etc/c", b"c0")}
    d = fs.get("etc/d")
    assert d is not None and d.source == fs.get("etc/a").source  # type: ignore[union-attr]
