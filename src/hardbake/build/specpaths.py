"""The spec's own `paths:` entries: directories, files, symlinks and deletions, applied last."""

from __future__ import annotations

from pathlib import Path

from hardbake.build.rootfs import Node, RootFS
from hardbake.errors import InputError
from hardbake.spec.model import PathEntry, PathKind


def substitute(e: PathEntry, arch: str) -> PathEntry:
    """`${DEB_ARCH}` in a path, link target or content: one multi-arch spec for per-arch paths
    (e.g. /usr/lib/jvm/java-17-openjdk-${DEB_ARCH})."""
    changes = {
        k: v.replace("${DEB_ARCH}", arch)
        for k, v in (("path", e.path), ("target", e.target), ("content", e.content))
        if isinstance(v, str) and "${DEB_ARCH}" in v
    }
    return e.model_copy(update=changes) if changes else e


def apply(fs: RootFS, entries: list[PathEntry], spec_dir: Path, mtime: int) -> None:
    for e in entries:
        p = e.path.strip("/")
        if e.type == PathKind.delete:
            if not fs.remove(p):
                raise InputError(f"paths: delete {e.path}: nothing there to delete")
            continue
        fs.remove(p) if e.type != PathKind.directory or (fs.get(p) and fs.get(p).kind != "dir") else None  # type: ignore[union-attr]
        if e.type == PathKind.directory:
            old = fs.get(p)
            if old is not None and old.kind == "dir":
                fs.replace_node(p, mode=e.mode if e.mode is not None else old.mode, uid=e.uid, gid=e.gid)
            else:
                fs.put(Node(p, "dir", e.mode if e.mode is not None else 0o755, e.uid, e.gid, mtime))
        elif e.type == PathKind.symlink:
            fs.put(Node(p, "symlink", 0o777, e.uid, e.gid, mtime, target=e.target))
        else:
            if e.source is not None:
                src = (spec_dir / e.source).resolve()
                try:
                    data = src.read_bytes()
                except OSError as err:
                    raise InputError(f"paths: {e.path}: cannot read source {src} ({err.strerror})") from err
            else:
                data = (e.content or "").encode()
            fs.put(Node(p, "file", e.mode if e.mode is not None else 0o644, e.uid, e.gid, mtime, data=data))
