"""What goes into a layer: `TarEntry`, its validation, and the deterministic order of a layer.

A layer is described as entries (path, kind, mode, owner, mtime, size, link target, and for
regular files where the bytes come from) rather than as files on disk, so the builder never
needs root to set ownership and never stages a rootfs it does not have to. Device nodes and
FIFOs are refused: an image has no business shipping them (the runtime makes /dev).

Order (`plan`): by path components, whiteouts first within a directory (image-spec
layer.md: "implementations SHOULD generate layers such that the whiteout files appear
before sibling directory entries"), so a parent always precedes its children. Hardlinks are
canonicalised: the first path of a link group (in that order) carries the data, the others
link to it, whatever the input said, so a link never precedes its target.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from hardbake.errors import InputError

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"

DataSource = bytes | Path | Callable[[], BinaryIO] | None


class Kind(enum.StrEnum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"


def check_path(path: str, what: str) -> None:
    """A layer path: relative, POSIX, no empty, `.` or `..` component, no NUL."""
    if not isinstance(path, str) or not path:
        raise InputError(f"{what}: empty path")
    if path.startswith("/"):
        raise InputError(f"{what}: path {path!r} is absolute; layer paths are relative to the root")
    if "\0" in path:
        raise InputError(f"{what}: path {path!r} contains a NUL byte")
    for part in path.split("/"):
        if part in ("", ".", ".."):
            raise InputError(
                f"{what}: path {path!r} has an empty, '.' or '..' component; "
                "expected a normalised relative path like usr/bin/env"
            )


@dataclass(frozen=True, slots=True)
class TarEntry:
    """One member of a layer. Use the `file`/`dir`/`symlink`/`hardlink`/`whiteout`/`opaque`
    constructors; the fields are validated either way.

    `data` for a regular file is the bytes themselves, a `Path` to read them from, or a
    callable returning a binary stream (so big images never sit in memory); its length must
    equal `size`.
    """

    path: str
    kind: Kind
    mode: int
    uid: int = 0
    gid: int = 0
    uname: str = ""
    gname: str = ""
    mtime: int = 0
    size: int = 0
    linkname: str = ""
    data: DataSource = None

    def __post_init__(self) -> None:
        what = f"tar entry {self.path!r}"
        check_path(self.path, what)
        if not isinstance(self.kind, Kind):
            raise InputError(f"{what}: kind {self.kind!r} is not one of {', '.join(k.value for k in Kind)}")
        if not isinstance(self.mode, int) or not 0 <= self.mode <= 0o7777:
            raise InputError(f"{what}: mode {self.mode!r} must be permission bits between 0 and 0o7777")
        for name in ("uid", "gid", "mtime", "size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InputError(f"{what}: {name} {value!r} must be a non-negative integer")
        if self.uid >= 2**32 or self.gid >= 2**32:
            raise InputError(f"{what}: uid/gid must be below 2**32")
        for name in ("uname", "gname", "linkname"):
            if "\0" in getattr(self, name):
                raise InputError(f"{what}: {name} contains a NUL byte")
        base = self.path.rsplit("/", 1)[-1]
        if any(p.startswith(WHITEOUT_PREFIX) for p in self.path.split("/")[:-1]):
            raise InputError(f"{what}: a whiteout ({WHITEOUT_PREFIX}*) cannot be a directory")
        if base.startswith(WHITEOUT_PREFIX) and (self.kind is not Kind.FILE or self.size):
            raise InputError(f"{what}: a whiteout must be an empty regular file")
        if self.kind is Kind.FILE:
            if isinstance(self.data, bytes | bytearray) and len(self.data) != self.size:
                raise InputError(f"{what}: size {self.size} but {len(self.data)} bytes of data given")
            if self.data is None and self.size:
                raise InputError(f"{what}: size {self.size} but no data source")
            if self.linkname:
                raise InputError(f"{what}: a regular file has no link target")
        else:
            if self.size or self.data is not None:
                raise InputError(f"{what}: only regular files carry data")
            if self.kind is Kind.DIR and self.linkname:
                raise InputError(f"{what}: a directory has no link target")
            if self.kind is Kind.SYMLINK and not self.linkname:
                raise InputError(f"{what}: a symlink needs a target")
            if self.kind is Kind.HARDLINK:
                check_path(self.linkname, f"{what} (hardlink target)")

    # -- constructors ----------------------------------------------------------------------
    @classmethod
    def file(
        cls,
        path: str,
        data: bytes | Path | Callable[[], BinaryIO] = b"",
        *,
        size: int | None = None,
        mode: int = 0o644,
        uid: int = 0,
        gid: int = 0,
        uname: str = "",
        gname: str = "",
        mtime: int = 0,
    ) -> TarEntry:
        """A regular file; `size` is taken from bytes or from the file on disk when omitted."""
        if size is None:
            if isinstance(data, bytes | bytearray):
                size = len(data)
            elif isinstance(data, Path):
                size = os.stat(data).st_size
            else:
                raise InputError(f"tar entry {path!r}: size is required when data is a callable")
        return cls(path, Kind.FILE, mode, uid, gid, uname, gname, mtime, size, "", data)

    @classmethod
    def dir(
        cls,
        path: str,
        *,
        mode: int = 0o755,
        uid: int = 0,
        gid: int = 0,
        uname: str = "",
        gname: str = "",
        mtime: int = 0,
    ) -> TarEntry:
        return cls(path, Kind.DIR, mode, uid, gid, uname, gname, mtime)

    @classmethod
    def symlink(
        cls,
        path: str,
        target: str,
        *,
        uid: int = 0,
        gid: int = 0,
        uname: str = "",
        gname: str = "",
        mtime: int = 0,
    ) -> TarEntry:
        return cls(path, Kind.SYMLINK, 0o777, uid, gid, uname, gname, mtime, linkname=target)

    @classmethod
    def hardlink(cls, path: str, target: str, *, mtime: int = 0) -> TarEntry:
        """A second name for the regular file `target` (a path in the same layer)."""
        return cls(path, Kind.HARDLINK, 0o644, mtime=mtime, linkname=target)

    @classmethod
    def whiteout(cls, path: str, *, mtime: int = 0) -> TarEntry:
        """Delete `path` (and everything under it) of the layers below (`dir/.wh.name`)."""
        check_path(path, f"whiteout of {path!r}")
        parent, _, base = path.rpartition("/")
        return cls.file(
            f"{parent}/{WHITEOUT_PREFIX}{base}" if parent else f"{WHITEOUT_PREFIX}{base}", mode=0, mtime=mtime
        )

    @classmethod
    def opaque(cls, directory: str, *, mtime: int = 0) -> TarEntry:
        """Hide everything the layers below have under `directory` (`dir/.wh..wh..opq`)."""
        check_path(directory, f"opaque marker of {directory!r}")
        return cls.file(f"{directory}/{OPAQUE}", mode=0, mtime=mtime)

    @property
    def is_whiteout(self) -> bool:
        return self.path.rsplit("/", 1)[-1].startswith(WHITEOUT_PREFIX)


def sort_key(path: str) -> tuple[tuple[int, str], ...]:
    """Components in order, whiteouts before their siblings: parents precede children."""
    return tuple((0 if p.startswith(WHITEOUT_PREFIX) else 1, p) for p in path.split("/"))


def plan(
    entries: Iterable[TarEntry], *, source_date_epoch: int | None = None, add_parents: bool = False
) -> list[TarEntry]:
    """Validate a layer's entries as a whole and return them in write order.

    Duplicate paths, hardlinks to a missing or non-regular target: InputError naming the
    entry. mtimes above `source_date_epoch` are clamped to it. With `add_parents`, missing
    parent directories are added (0755, root, mtime = SOURCE_DATE_EPOCH or 0) — leave it off
    for layers that sit on others, where an added directory would override the lower one's.
    """
    by_path: dict[str, TarEntry] = {}
    for e in entries:
        if not isinstance(e, TarEntry):
            raise InputError(f"layer entries must be TarEntry, found {type(e).__name__}")
        if e.path in by_path:
            raise InputError(f"tar entry {e.path!r}: duplicate path in one layer")
        if source_date_epoch is not None and e.mtime > source_date_epoch:
            e = replace(e, mtime=source_date_epoch)
        by_path[e.path] = e
    if add_parents:
        for path in list(by_path):
            parent = path.rpartition("/")[0]
            while parent and parent not in by_path:
                by_path[parent] = TarEntry.dir(parent, mtime=source_date_epoch or 0)
                parent = parent.rpartition("/")[0]
    _canonicalise_hardlinks(by_path)
    return sorted(by_path.values(), key=lambda e: sort_key(e.path))


def _canonicalise_hardlinks(by_path: dict[str, TarEntry]) -> None:
    groups: dict[str, list[str]] = {}
    for e in by_path.values():
        if e.kind is not Kind.HARDLINK:
            continue
        target, seen = e.linkname, {e.path}
        while True:
            t = by_path.get(target)
            if t is None:
                raise InputError(
                    f"tar entry {e.path!r}: hardlink target {e.linkname!r} is not in this layer",
                    hint="a hardlink must name a regular file of the same layer",
                )
            if t.kind is Kind.FILE:
                break
            if t.kind is not Kind.HARDLINK or t.path in seen:
                raise InputError(
                    f"tar entry {e.path!r}: hardlink target {e.linkname!r} is not a regular file"
                )
            seen.add(t.path)
            target = t.linkname
        groups.setdefault(target, []).append(e.path)
    for target, links in groups.items():
        members = sorted([target, *links], key=sort_key)
        leader = members[0]
        source = by_path[target]
        by_path[leader] = replace(source, path=leader)
        for m in members[1:]:
            by_path[m] = TarEntry(
                m,
                Kind.HARDLINK,
                source.mode,
                source.uid,
                source.gid,
                source.uname,
                source.gname,
                source.mtime,
                linkname=leader,
            )
