"""The inventory's plug-in axis: one `Cataloger` per ecosystem, each naming the files it reads.

A cataloger is asked about every regular file of the image as the single streaming pass
meets it (`wants`), reads the ones it wants right there (`read`, bounded: a cataloger never
holds more than a small parse result per file), and at the end turns the files that are
still visible in the final tree into packages (`packages`). A file that cannot be parsed
is a warning, never an exception (`Unreadable`); a broken layer is the OCI reader's error.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar

from hardbake.oci.filesystem import EntryKind, FileInfo, Filesystem
from hardbake.sbom.model import Ecosystem, OsInfo, Package


class Unreadable(Exception):
    """A file a cataloger wanted is malformed; the inventory records a warning and goes on."""


@dataclass(frozen=True)
class Found:
    """A file a reader read during the pass, and what it made of it."""

    info: FileInfo
    result: object


class NeedsSeek:
    """A `read` result saying: this file can only be parsed with random access (an old Go
    binary whose build info is behind pointers). The inventory re-reads such files into a
    temporary file and calls `read_seekable`."""


NEEDS_SEEK = NeedsSeek()


class FileReader(abc.ABC):
    """Something that reads files during the pass (a cataloger, os-release, changelogs)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def wants(self, info: FileInfo) -> bool:
        """Decided from the path, mode and size alone (no content)."""

    @abc.abstractmethod
    def read(self, info: FileInfo, stream: BinaryIO) -> object:
        """Parse one file from `stream`; raise `Unreadable` for malformed content."""

    def read_seekable(self, info: FileInfo, f: BinaryIO) -> object:
        """Parse a file `read` answered with `NEEDS_SEEK`; `f` is seekable."""
        raise Unreadable(f"{self.name} cannot parse {info.path} with random access")


@dataclass
class Context:
    """What catalogers may consult when they make packages."""

    fs: Filesystem
    os: OsInfo | None
    layers: tuple[str, ...]  # diff_ids

    def layer_of(self, info: FileInfo) -> tuple[int, str | None]:
        return info.layer, self.layers[info.layer] if info.layer < len(self.layers) else None

    def resolve(self, path: str, max_links: int = 40) -> FileInfo | None:
        """The entry `path` names in the image, following symlinks the way the kernel would
        inside a chroot: absolute targets start at the image root, `..` stops at the root, so
        nothing ever leaves the image. None if missing or a link loop."""
        direct = self.fs.get(path)  # the common case: no symlink on the way
        if direct is not None and direct.kind is not EntryKind.SYMLINK:
            return direct
        todo = [p for p in reversed(path.strip("/").split("/"))]
        done: list[str] = []
        links = 0
        while todo:
            part = todo.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            e = self.fs.get("/".join([*done, part]))
            if e is None:
                return None
            if e.kind is EntryKind.SYMLINK:
                links += 1
                if links > max_links:
                    return None
                if e.linkname.startswith("/"):
                    done = []
                todo.extend(reversed(e.linkname.split("/")))
                continue
            done.append(part)
        return self.fs.get("/".join(done)) if done else None


@dataclass(frozen=True)
class CatalogResult:
    packages: tuple[Package, ...] = ()
    warnings: tuple[str, ...] = ()
    #: OS catalogers: resolved path of every file a package lists -> that package's purl
    owners: Mapping[str, str] = field(default_factory=dict)


class Cataloger(FileReader):
    """One ecosystem's inventory."""

    ecosystem: ClassVar[Ecosystem]
    #: what it reads, for documentation and `--help`
    reads: ClassVar[str]

    @abc.abstractmethod
    def packages(self, found: Mapping[str, Found], ctx: Context) -> CatalogResult:
        """Packages from the files read that the final tree still shows (keyed by path)."""


def bounded_read(stream: BinaryIO, info: FileInfo, limit: int) -> bytes:
    """The whole file, refused (as `Unreadable`) above `limit` bytes."""
    if info.size > limit:
        raise Unreadable(f"/{info.path}: {info.size} bytes is more than the {limit} this reader accepts")
    return stream.read()
