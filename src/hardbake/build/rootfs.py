"""The image's filesystem while it is being assembled: an in-memory tree of typed nodes.

Packages are unpacked from their data.tar into this tree, never onto the build machine's
disk, so the build needs no root and no link can ever point outside the image. Rules:

* Merged /usr: `bin`, `sbin`, `lib`, `lib32`, `lib64`, `libx32` are symlinks into usr/
  (Debian 13's base-files ships them; Debian 12's installer made them). Entries under those
  names are relocated into usr/; the symlinks themselves are created here, and no later
  directory entry may replace them.
* Hostile content is refused with an error naming the package and the entry: `..`
  components, absolute member names, entries placed *through* a symlink, hardlinks to
  anything but an earlier regular file of the same package, device nodes and FIFOs, and two
  packages that ship different content (or types) at the same path.
"""

from __future__ import annotations

import posixpath
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import IO, Literal

from hardbake.errors import InputError

Kind = Literal["dir", "file", "symlink", "hardlink"]

MERGED_USR = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class ContentError(InputError):
    """A package's content is malicious or inconsistent; the build refuses it."""


@dataclass(frozen=True, slots=True)
class Node:
    path: str  # relative, normalised, no leading '/': "usr/bin/python3"
    kind: Kind
    mode: int  # permission bits incl. setuid/setgid/sticky (no type bits)
    uid: int = 0
    gid: int = 0
    mtime: int = 0
    data: bytes | None = None  # regular files
    target: str | None = None  # symlink target, or hardlink target path
    package: str | None = None  # owning package; None for files the build made

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


def normalise(name: str, *, relocate: bool = True) -> str:
    """A tar member name -> a tree path, or raise ValueError for an unsafe name."""
    if name.startswith("/"):
        raise ValueError("absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ValueError("'..' component")
    if relocate and parts and parts[0] in MERGED_USR:
        parts.insert(0, "usr")
    return "/".join(parts)


@dataclass
class RootFS:
    """A mutable tree during assembly; `nodes()` hands out immutable nodes, sorted."""

    arch_libdir: str = "lib64"
    tree: dict[str, Node] = field(default_factory=dict)
    owners: dict[str, set[str]] = field(default_factory=dict)  # path -> packages shipping it

    def __post_init__(self) -> None:
        for d in ("usr", "usr/bin", "usr/sbin", "usr/lib"):
            self.tree.setdefault(d, Node(d, "dir", 0o755))
        for link in MERGED_USR:
            self.tree[link] = Node(link, "symlink", 0o777, target=f"usr/{link}")

    # -- queries -------------------------------------------------------------------------

    def get(self, path: str) -> Node | None:
        return self.tree.get(path.strip("/"))

    def exists(self, path: str) -> bool:
        return path.strip("/") in self.tree

    def nodes(self) -> list[Node]:
        return [self.tree[p] for p in sorted(self.tree)]

    def children(self, directory: str) -> Iterator[Node]:
        prefix = directory.strip("/") + "/"
        for p, n in self.tree.items():
            if p.startswith(prefix) and "/" not in p[len(prefix) :]:
                yield n

    def resolve(self, path: str, *, max_links: int = 40) -> Node | None:
        """Follow symlinks *inside the image* (absolute targets are image-absolute)."""
        path = path.strip("/")
        seen = 0
        parts = path.split("/") if path else []
        cur = ""
        i = 0
        while i < len(parts):
            nxt = f"{cur}/{parts[i]}" if cur else parts[i]
            node = self.tree.get(nxt)
            if node is None:
                return None
            if node.kind == "symlink":
                seen += 1
                if seen > max_links:
                    return None
                tgt = node.target or ""
                base = "" if tgt.startswith("/") else posixpath.dirname(nxt)
                joined = posixpath.normpath(posixpath.join("/", base, tgt)).lstrip("/")
                parts = (joined.split("/") if joined else []) + parts[i + 1 :]
                cur, i = "", 0
                continue
            cur = nxt
            i += 1
        return self.tree.get(cur) if cur else None

    # -- building ------------------------------------------------------------------------

    def _check_parents(self, path: str, pkg: str, entry: str) -> None:
        parts = path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            node = self.tree.get(parent)
            if node is None:
                self.tree[parent] = Node(parent, "dir", 0o755, package=None)
            elif node.kind == "symlink":
                raise ContentError(
                    f"package {pkg}: entry {entry!r} would be written through the symlink /{parent} -> {node.target}",
                    hint="a package must not place files behind a link; refusing to follow it",
                )
            elif node.kind != "dir":
                raise ContentError(
                    f"package {pkg}: entry {entry!r}: /{parent} is a {node.kind}, not a directory"
                )

    def put(self, node: Node, *, entry: str | None = None) -> None:
        """Add a node; identical duplicates merge, disagreeing ones are an error."""
        pkg = node.package or "(build)"
        entry = entry or node.path
        if not node.path:
            return  # the root directory itself
        self._check_parents(node.path, pkg, entry)
        old = self.tree.get(node.path)
        if old is not None:
            if node.path in MERGED_USR:
                raise ContentError(
                    f"package {pkg}: entry {entry!r} would replace the merged-/usr link /{node.path}"
                )
            if old.kind == "dir" and node.kind == "dir":
                if old.package is None and node.package is not None:
                    self.tree[node.path] = node  # a package's own dir wins over an implied one
                self.owners.setdefault(node.path, set()).add(pkg)
                return
            if (old.kind == "dir") != (node.kind == "dir") and node.package is not None:
                raise ContentError(
                    f"package {pkg}: entry {entry!r} would turn the {old.kind} /{node.path}"
                    f"{f' of package {old.package}' if old.package else ''} into a {node.kind}"
                )
            same = old.kind == node.kind and old.data == node.data and old.target == node.target
            if not same and node.package is not None and old.package is not None:
                raise ContentError(
                    f"package {pkg}: entry {entry!r} conflicts with /{node.path} from package {old.package} "
                    f"({old.kind} vs {node.kind}{', different content' if old.kind == node.kind else ''})"
                )
        self.tree[node.path] = node
        if node.package:
            self.owners.setdefault(node.path, set()).add(node.package)

    def remove(self, path: str) -> list[Node]:
        """Delete a path and everything under it; returns what was removed."""
        path = path.strip("/")
        gone = [n for p, n in self.tree.items() if p == path or p.startswith(path + "/")]
        for n in gone:
            del self.tree[n.path]
        return gone

    def replace_node(self, path: str, **changes: object) -> None:
        self.tree[path] = replace(self.tree[path], **changes)  # type: ignore[arg-type]

    def unpack(
        self, pkg: str, members: Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]], names: dict[str, int]
    ) -> int:
        """Unpack one package's data.tar members; returns the newest mtime seen.

        `names` maps user/group names to ids (the image's own passwd/group), so ownership
        comes from the image, not from the build machine.
        """
        newest = 0
        for ti, fo in members:
            try:
                path = normalise(ti.name)
                if normalise(ti.name, relocate=False) in MERGED_USR and not (ti.isdir() or ti.issym()):
                    raise ValueError(
                        f"it would replace the merged-/usr link /{normalise(ti.name, relocate=False)}"
                    )
            except ValueError as e:
                raise ContentError(f"package {pkg}: unsafe entry {ti.name!r}: {e}") from e
            if not path:
                continue
            newest = max(newest, int(ti.mtime))
            uid = names.get(f"u:{ti.uname}", ti.uid) if ti.uname else ti.uid
            gid = names.get(f"g:{ti.gname}", ti.gid) if ti.gname else ti.gid
            mode = stat.S_IMODE(ti.mode)
            mtime = int(ti.mtime)
            top = normalise(ti.name, relocate=False)
            if ti.isdir():
                if top in MERGED_USR:
                    continue  # Debian 12 packages ship ./bin/ etc. as directories: the link stays
                self.put(Node(path, "dir", mode, uid, gid, mtime, package=pkg), entry=ti.name)
            elif ti.isreg():
                assert fo is not None
                self.put(
                    Node(path, "file", mode, uid, gid, mtime, data=fo.read(), package=pkg), entry=ti.name
                )
            elif ti.issym():
                if top in MERGED_USR:
                    continue  # Debian 13's base-files ships the very links we made
                self.put(
                    Node(path, "symlink", 0o777, uid, gid, mtime, target=ti.linkname, package=pkg),
                    entry=ti.name,
                )
            elif ti.islnk():
                try:
                    target = normalise(ti.linkname)
                except ValueError as e:
                    raise ContentError(f"package {pkg}: hardlink {ti.name!r} -> {ti.linkname!r}: {e}") from e
                tnode = self.tree.get(target)
                if tnode is None or tnode.kind != "file" or tnode.package != pkg:
                    raise ContentError(
                        f"package {pkg}: hardlink {ti.name!r} -> {ti.linkname!r} does not point at an earlier "
                        "regular file of the same package"
                    )
                # the bytes are shared; layers write the second name as a tar hardlink
                node = Node(
                    path, "hardlink", mode, uid, gid, mtime, data=tnode.data, target=target, package=pkg
                )
                self.put(node, entry=ti.name)
            else:
                kind = {
                    tarfile.CHRTYPE: "character device",
                    tarfile.BLKTYPE: "block device",
                    tarfile.FIFOTYPE: "FIFO",
                }
                raise ContentError(
                    f"package {pkg}: entry {ti.name!r} is a {kind.get(ti.type, f'tar type {ti.type!r}')}; "
                    "images never carry device nodes or FIFOs from packages"
                )
        return newest
