"""Splitting an image into layers by origin, and a content-addressed cache of built layers.

`--layers N` (apko's "origin" strategy): files are grouped by the *source* package that
shipped them; the biggest groups get a layer each, the remaining packages share one, and
files no package owns (accounts, the CA bundle, dpkg records, the spec's own paths) go on
top together with every directory's final metadata. Directories a lower layer needs are
synthesised from that layer's own content (mtime = the newest file of the group), so the
same group of packages gives the same layer digest in every image that contains it.

The cache maps a layer's full description (every entry's metadata and content hash, the
compression level and the writer's format version) to the blob it produced; a rebuild whose
inputs did not change compresses nothing.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hardbake import atomic
from hardbake.build.rootfs import Node, RootFS
from hardbake.debian.lock import ArchLock
from hardbake.oci import BlobStore, Descriptor, Digest, write_layers
from hardbake.oci.layer import DEFAULT_LEVEL, BlobLayer
from hardbake.oci.mediatype import OCI_LAYER_GZIP
from hardbake.oci.tarentry import TarEntry

_CACHE_FORMAT = "hardbake-layer-cache/1"


def _ancestors(path: str) -> list[str]:
    out: list[str] = []
    while True:
        path = posixpath.dirname(path)
        if not path:
            return out
        out.append(path)


def group(fs: RootFS, lock: ArchLock, max_layers: int) -> list[list[Node]]:
    """Layers (bottom to top) as lists of nodes; `max_layers` <= 1 gives a single layer."""
    nodes = fs.nodes()
    if max_layers <= 1:
        return [nodes]
    source_of = {p.name: p.source for p in lock.packages}
    groups: dict[str, list[Node]] = {}
    top: list[Node] = []
    for n in nodes:
        if n.kind == "dir":
            continue
        if n.package is None:
            top.append(n)
        else:
            groups.setdefault(source_of.get(n.package, n.package), []).append(n)
    ranked = sorted(groups, key=lambda s: (-sum(n.size for n in groups[s]), s))
    own = ranked[: max(0, max_layers - 2)] if len(ranked) > max_layers - 1 else ranked
    rest = [n for s in ranked if s not in own for n in groups[s]]
    bottom = [groups[s] for s in own] + ([rest] if rest else [])
    layers: list[list[Node]] = []
    for members in bottom:
        epoch = max((n.mtime for n in members), default=0)
        pkgs = {n.package for n in members}
        dirs: dict[str, Node] = {}
        for n in members:
            for d in _ancestors(n.path):
                if d in dirs:
                    continue
                real = fs.tree.get(d)
                if real is not None and real.kind == "dir" and real.package in pkgs:
                    dirs[d] = real
                else:
                    mode, uid, gid = (
                        (real.mode, real.uid, real.gid)
                        if real is not None and real.kind == "dir"
                        else (0o755, 0, 0)
                    )
                    dirs[d] = Node(d, "dir", mode, uid, gid, epoch)
        layers.append(sorted([*dirs.values(), *members], key=lambda n: n.path))
    # the top layer: build-made files and the final word on every directory
    layers.append(sorted([*top, *(n for n in nodes if n.kind == "dir")], key=lambda n: n.path))
    return [layer for layer in layers if layer]


def _key(entries: Sequence[TarEntry], level: int) -> str:
    h = hashlib.sha256()
    h.update(f"{_CACHE_FORMAT}|level={level}\n".encode())
    for e in entries:
        data = e.data if isinstance(e.data, bytes) else b""
        h.update(
            json.dumps(
                [e.path, e.kind.value, e.mode, e.uid, e.gid, e.uname, e.gname, e.mtime, e.size, e.linkname,
                 hashlib.sha256(data).hexdigest()],
            ).encode()
            + b"\n"
        )  # fmt: skip
    return h.hexdigest()


class LayerCache:
    """Built layers by content: `root/<key>.json` -> the blob in `store`."""

    def __init__(self, root: Path, store: BlobStore) -> None:
        self.root = root
        self.store = store

    def get(self, key: str) -> BlobLayer | None:
        try:
            d = json.loads((self.root / f"{key}.json").read_text())
            desc = Descriptor(OCI_LAYER_GZIP, Digest.parse(d["digest"]), int(d["size"]))
            diff_id = Digest.parse(d["diff_id"])
        except (OSError, ValueError, KeyError):
            return None
        if not self.store.has(desc.digest, desc.size):
            return None
        return BlobLayer(self.store, desc, diff_id)

    def put(self, key: str, layer: BlobLayer) -> None:
        atomic.write_text(
            self.root / f"{key}.json",
            json.dumps(
                {"digest": str(layer.digest()), "size": layer.size(), "diff_id": str(layer.diff_id())}
            ),
        )

    def write(self, layers: Sequence[list[TarEntry]], *, epoch: int, level: int | None) -> list[BlobLayer]:
        """Every layer, from the cache where possible; the rest written (in parallel)."""
        lvl = DEFAULT_LEVEL if level is None else level
        keys = [_key(entries, lvl) for entries in layers]
        found = [self.get(k) for k in keys]
        todo = [i for i, f in enumerate(found) if f is None]
        if todo:
            written = write_layers([layers[i] for i in todo], self.store, source_date_epoch=epoch, level=lvl)
            for i, layer in zip(todo, written, strict=True):
                self.put(keys[i], layer)
                found[i] = layer
        return [f for f in found if f is not None]


def clamp(nodes: list[Node], epoch: int) -> list[Node]:
    return [n if n.mtime <= epoch else replace(n, mtime=epoch) for n in nodes]
