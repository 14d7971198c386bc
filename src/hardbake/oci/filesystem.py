"""The filesystem an image shows a container, computed by streaming its layers — no extraction.

Pass 1 (`Filesystem.scan`) reads every layer's tar headers in order and applies them the way
overlayfs shows them (image-spec layer.md "Applying changesets"): whiteouts (`.wh.NAME`)
and opaque markers (`.wh..wh..opq`) hide what lower layers had, a non-directory replaces
whatever was at its path (a directory and all below it too), a directory over a directory
merges, and a path below something that is not a directory makes that a directory again
(this is why a later `lib/` entry replaces a merged-/usr `lib` symlink). What remains is,
for each visible path, its metadata and which layer member holds its bytes. File contents
are never kept: reading every layer to its end is also what verifies its digest and diff_id.

Pass 2 (`open_files`) streams the contents of the files a caller selects, each layer read
at most once and only as far as needed. Memory is bounded by the number of paths, never by
the size of the image.

A caller that wants some files' contents without a second pass gives `scan` a `Capture`:
its `wants(info)` is asked about every regular file as pass 1 meets it, and `take(info,
stream)` reads the ones it wants right there. A captured member may be hidden or replaced by
a later layer: `shows(info)` says whether the final tree still holds that very member (the
SBOM inventory reads every layer exactly once this way).

Refused with an ImageError naming the layer and entry: `..` components, absolute paths,
hardlinks to nothing, whiteouts of nothing sensible. Corrupt, truncated or mis-digested
layers fail in pass 1.
"""

from __future__ import annotations

import enum
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from hardbake.oci.errors import DigestMismatch, ImageError
from hardbake.oci.image import Image, Layer
from hardbake.oci.tarentry import OPAQUE, WHITEOUT_PREFIX
from hardbake.oci.tarstream import TarHeader, TarReader

_SPOOL = 8 << 20
_READ = 1 << 20


class EntryKind(enum.StrEnum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHAR = "char"
    BLOCK = "block"
    FIFO = "fifo"


_KIND = {
    b"1": EntryKind.HARDLINK,
    b"2": EntryKind.SYMLINK,
    b"3": EntryKind.CHAR,
    b"4": EntryKind.BLOCK,
    b"5": EntryKind.DIR,
    b"6": EntryKind.FIFO,
}


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One visible path. `layer` is the index of the layer that put it there; for regular
    files (and hardlinks to them) `source` is (layer, member number) of the bytes."""

    path: str
    kind: EntryKind
    mode: int
    uid: int
    gid: int
    size: int
    mtime: int
    linkname: str
    layer: int
    source: tuple[int, int] | None = None

    @property
    def is_file(self) -> bool:
        """A regular file, under its own name or a hardlink's."""
        return self.source is not None


class Capture(Protocol):
    """Reads selected regular files during pass 1 (see the module docstring)."""

    def wants(self, info: FileInfo) -> bool:
        """Whether to read this member; `info.source` is (layer, member number)."""
        ...

    def take(self, info: FileInfo, stream: BinaryIO) -> None:
        """Read the member from `stream` (valid only during this call)."""
        ...


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _normalise(name: str, what: str) -> str:
    """A tar name as a clean relative path ("" for the root); escapes are refused."""
    if name.startswith("/"):
        raise ImageError(
            f"{what}: absolute path {name!r}", hint="a layer's paths must be relative to the root"
        )
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ImageError(
            f"{what}: path {name!r} climbs out with '..'", hint="the image is malformed or hostile"
        )
    return "/".join(parts)


class Filesystem:
    """The final tree of an image. Iterating gives `FileInfo`s sorted by path."""

    def __init__(self, image: Image) -> None:
        self.image = image
        self.layers: tuple[Layer, ...] = tuple(image.layers())
        self._entries: dict[str, FileInfo] = {}
        self._children: dict[str, set[str]] = {}

    @classmethod
    def scan(cls, image: Image, capture: Capture | None = None) -> Filesystem:
        """Pass 1: read every layer's headers (and verify every layer) and build the tree;
        `capture` reads the regular files it wants on the way."""
        fs = cls(image)
        for i, layer in enumerate(fs.layers):
            try:
                fs._apply(i, layer, capture)
            except (ImageError, DigestMismatch) as e:
                what = fs._what(i)
                if e.message.startswith(what):
                    raise
                raise type(e)(f"{what}: {e.message}", hint=e.hint) from e
        return fs

    # -- pass 1 ----------------------------------------------------------------------------
    def _what(self, i: int) -> str:
        return f"{self.image} layer {i} ({self.layers[i].diff_id()})"

    def _apply(self, i: int, layer: Layer, capture: Capture | None = None) -> None:
        what = self._what(i)
        adds: list[tuple[str, TarHeader, int]] = []
        whiteouts: list[str] = []
        opaques: list[str] = []
        with layer.uncompressed() as stream:
            reader = TarReader(stream, what)
            for ordinal, h in enumerate(reader):
                entry = f"{what} entry {h.name!r}"
                path = _normalise(h.name, entry)
                if not path:
                    continue  # the root directory itself
                parent, _, base = path.rpartition("/")
                if base == OPAQUE:
                    opaques.append(parent)
                elif base.startswith(WHITEOUT_PREFIX):
                    target = base[len(WHITEOUT_PREFIX) :]
                    if target in ("", ".", ".."):
                        raise ImageError(f"{entry}: whiteout of {target!r} is meaningless")
                    whiteouts.append(f"{parent}/{target}" if parent else target)
                else:
                    if h.typeflag == b"1":
                        _normalise(h.linkname, f"{entry} hardlink target")
                    elif capture is not None and h.is_regular:
                        info = FileInfo(
                            path, EntryKind.FILE, h.mode, h.uid, h.gid, h.size, h.mtime, "", i, (i, ordinal)
                        )
                        if capture.wants(info):
                            capture.take(info, reader.data())
                    adds.append((path, h, ordinal))
            while stream.read(_READ):  # to the end: verifies the blob digest and the diff_id
                pass
        for d in opaques:
            for child in list(self._children.get(d, ())):
                self._remove(child)
        for w in whiteouts:
            self._remove(w)
        for path, h, ordinal in adds:
            self._add(i, path, h, ordinal, what)

    def _remove(self, path: str) -> None:
        stack = [path]
        self._children.get(_parent(path), set()).discard(path)
        while stack:
            p = stack.pop()
            self._entries.pop(p, None)
            stack.extend(self._children.pop(p, ()))

    def _link(self, info: FileInfo) -> None:
        existing = self._entries.get(info.path)
        if existing is not None and not (existing.kind is EntryKind.DIR and info.kind is EntryKind.DIR):
            self._remove(info.path)
        self._entries[info.path] = info
        self._children.setdefault(_parent(info.path), set()).add(info.path)

    def _ensure_dir(self, path: str, layer: int) -> None:
        """Make `path` and its parents directories (iteratively: paths can be very deep)."""
        missing = []
        while path:
            existing = self._entries.get(path)
            if existing is not None and existing.kind is EntryKind.DIR:
                break
            missing.append(path)
            path = _parent(path)
        for p in reversed(missing):
            self._link(FileInfo(p, EntryKind.DIR, 0o755, 0, 0, 0, 0, "", layer))

    def _add(self, i: int, path: str, h: TarHeader, ordinal: int, what: str) -> None:
        self._ensure_dir(_parent(path), i)
        kind = _KIND.get(h.typeflag, EntryKind.FILE)
        mode, uid, gid, size, linkname, source = h.mode, h.uid, h.gid, h.size, h.linkname, None
        if kind is EntryKind.FILE:
            source = (i, ordinal)
        elif kind is EntryKind.HARDLINK:
            linkname = _normalise(h.linkname, f"{what} entry {h.name!r}")
            target = self._entries.get(linkname)
            if target is None:
                raise ImageError(
                    f"{what} entry {h.name!r}: hardlink to {h.linkname!r}, which is not in the image",
                    hint="a hardlink must name a file of the same or a lower layer that precedes it",
                )
            if target.source is None:  # a hardlink to a symlink or device is that thing again
                kind, linkname = target.kind, target.linkname
            mode, uid, gid, size, source = target.mode, target.uid, target.gid, target.size, target.source
        self._link(FileInfo(path, kind, mode, uid, gid, size, h.mtime, linkname, i, source))

    # -- the tree --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and path.strip("/") in self._entries

    def __iter__(self) -> Iterator[FileInfo]:
        for path in sorted(self._entries):
            yield self._entries[path]

    def get(self, path: str) -> FileInfo | None:
        """The entry at `path` (leading '/' optional), or None."""
        return self._entries.get(path.strip("/"))

    def shows(self, info: FileInfo) -> bool:
        """Whether the final tree still holds the member `info` describes at `info.path`."""
        e = self._entries.get(info.path)
        return e is not None and info.source is not None and e.source == info.source

    def files(self) -> Iterator[FileInfo]:
        return (e for e in self if e.is_file)

    # -- pass 2 ----------------------------------------------------------------------------
    def open_files(
        self, select: Callable[[FileInfo], bool] | Iterable[str]
    ) -> Iterator[tuple[FileInfo, BinaryIO]]:
        """Stream the contents of the selected regular files: a predicate on `FileInfo`, or
        paths. Yields (info, stream) in layer order; a stream is valid until the next item.
        Paths that are missing or not regular files are skipped."""
        if callable(select):
            wanted = [e for e in self._entries.values() if e.is_file and select(e)]
        else:
            wanted = [e for e in (self.get(p) for p in select) if e is not None and e.is_file]
        by_source: dict[tuple[int, int], list[FileInfo]] = {}
        for e in wanted:
            assert e.source is not None
            by_source.setdefault(e.source, []).append(e)
        for i in sorted({layer for layer, _ in by_source}):
            needed = {ordinal: infos for (layer, ordinal), infos in by_source.items() if layer == i}
            yield from self._stream_layer(i, needed)

    def _stream_layer(self, i: int, needed: dict[int, list[FileInfo]]) -> Iterator[tuple[FileInfo, BinaryIO]]:
        what = self._what(i)
        with self.layers[i].uncompressed() as stream:
            reader = TarReader(stream, what)
            for ordinal, h in enumerate(reader):
                infos = needed.pop(ordinal, None)
                if infos is None:
                    continue
                if h.size != infos[0].size:
                    raise ImageError(f"{what} entry {h.name!r} changed since the layer was scanned")
                if len(infos) == 1:
                    yield infos[0], reader.data()
                else:  # one member, several names (hardlinks): keep a copy to hand out again
                    with tempfile.SpooledTemporaryFile(_SPOOL) as spool:
                        shutil.copyfileobj(reader.data(), spool, _READ)
                        for info in infos:
                            spool.seek(0)
                            yield info, spool  # type: ignore[misc]
                if not needed:
                    return
        if needed:
            raise ImageError(f"{what}: {len(needed)} members seen in the scan are missing now")

    def read_bytes(self, path: str, limit: int = 64 << 20) -> bytes:
        """The contents of one regular file (refused above `limit` bytes)."""
        info = self.get(path)
        if info is None or not info.is_file:
            raise ImageError(f"{self.image}: {path!r} is not a regular file in the image")
        if info.size > limit:
            raise ImageError(f"{self.image}: {path!r} has {info.size} bytes, more than {limit}")
        for _, stream in self.open_files([info.path]):
            return stream.read()
        raise ImageError(f"{self.image}: {path!r} could not be read")
