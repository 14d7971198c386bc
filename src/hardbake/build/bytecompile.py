"""Byte-compiling Python at build time, deterministically, with the image's own interpreter.

Clamped mtimes would make timestamp-based .pyc files stale (and a read-only root cannot
rewrite them), so hardbake writes `unchecked-hash` .pyc files: Python loads them without
checking the source. The magic number must be the image's, so the compiler is the image's
own interpreter: the tree is written to a private temporary directory and the interpreter
is started through the image's own dynamic loader and libraries (for another architecture,
through qemu-user-static when it is installed). This runs the Python interpreter shipped in
the package - never a maintainer script - on sources the image carries.

`PYTHONHASHSEED=0`, one process (compileall's parallel workers lost files and changed the
output here), and file paths recorded as the image sees them (`compileall -s TMP -p /`) make
the output the same on every build. Compiled trees are cached by the hashes of the
interpreter and every source, so an unchanged stdlib is compiled once.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import posixpath
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hardbake import atomic, paths
from hardbake.build.rootfs import Node, RootFS
from hardbake.errors import EnvError, InputError
from hardbake.spec.model import ByteCompile

_HOST = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf", "ppc64le": "ppc64el", "s390x": "s390x"}
_QEMU = {
    "amd64": "x86_64",
    "arm64": "aarch64",
    "armhf": "arm",
    "ppc64el": "ppc64le",
    "s390x": "s390x",
    "i386": "i386",
}
_LOADERS = {
    "amd64": "lib64/ld-linux-x86-64.so.2",
    "arm64": "lib/ld-linux-aarch64.so.1",
    "armhf": "lib/ld-linux-armhf.so.3",
    "ppc64el": "lib64/ld64.so.2",
    "s390x": "lib/ld64.so.1",
    "i386": "lib/ld-linux.so.2",
}
_TRIPLETS = {
    "amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "armhf": "arm-linux-gnueabihf",
    "ppc64el": "powerpc64le-linux-gnu", "s390x": "s390x-linux-gnu", "i386": "i386-linux-gnu",
}  # fmt: skip


@dataclass(frozen=True)
class Compiled:
    files: int
    skipped_reason: str | None = None


def _materialise(nodes: list[Node], root: Path) -> None:
    """Write these nodes under `root` (links written as links: nothing is followed)."""
    for n in nodes:
        p = root / n.path
        if n.kind == "dir":
            p.mkdir(parents=True, exist_ok=True)
        elif n.kind == "symlink":
            p.parent.mkdir(parents=True, exist_ok=True)
            p.symlink_to(n.target or "")
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(n.data or b"")
            p.chmod(0o755 if n.mode & 0o111 else 0o644)


def _inside(fs: RootFS, path: str) -> str:
    node = fs.resolve(path)
    if node is None:
        raise InputError(f"byte-compile: {path} does not exist in the image")
    return node.path


def compile_tree(fs: RootFS, bc: ByteCompile, arch: str, mtime: int) -> Compiled:
    host = _HOST.get(platform.machine())
    prefix: list[str] = []
    if arch != host:
        qemu = shutil.which(f"qemu-{_QEMU.get(arch, arch)}-static")
        if qemu is None:
            return Compiled(0, f"no qemu-{_QEMU.get(arch, arch)}-static to run the {arch} interpreter")
        prefix = [qemu]
    loader = _inside(fs, _LOADERS[arch])
    interp = _inside(fs, bc.interpreter)
    targets = [_inside(fs, p) for p in bc.paths]
    triplet = _TRIPLETS[arch]
    # the interpreter needs its loader, its libraries and the trees it compiles - nothing else
    needed = ("usr/lib/" + triplet + "/", "lib64/", "lib/", "etc/", *(t + "/" for t in targets))
    nodes = [
        n for n in fs.nodes() if n.kind == "dir" or n.path in (loader, interp) or n.path.startswith(needed)
    ]
    key = _cache_key(fs, nodes, bc, arch, interp)
    cached = _cache_get(key)
    if cached is not None:
        for path, data in sorted(cached.items()):
            _add(fs, path, data, mtime)
        return Compiled(len(cached))
    before = set(fs.tree)
    shm = Path("/dev/shm")  # noqa: S108 - a private mkdtemp below it: memory-backed, faster
    with tempfile.TemporaryDirectory(prefix="hardbake-pyc-", dir=shm if shm.is_dir() else None) as t:
        root = Path(t)
        _materialise(nodes, root)
        libs = ":".join(str(root / d) for d in (f"usr/lib/{triplet}", "usr/lib", f"lib/{triplet}"))
        cmd = [
            *prefix, str(root / loader), "--library-path", libs, str(root / interp),
            "-E", "-s", "-m", "compileall", "-q", "-j", "1", "-f", "--invalidation-mode", "unchecked-hash",
        ]  # fmt: skip
        if bc.exclude:
            cmd += ["-x", bc.exclude]
        env = {
            "PYTHONHOME": str(root / "usr"),
            "PYTHONHASHSEED": "0",
            "LC_ALL": "C.UTF-8",
            "PATH": "/usr/bin:/bin",
        }
        for path in bc.paths:
            target = _inside(fs, path)
            proc = subprocess.run(
                [*cmd, "-s", str(root), "-p", "/", str(root / target)],
                env=env, capture_output=True, timeout=600, check=False,
            )  # fmt: skip
            if proc.returncode != 0:  # a file that does not compile is a spec problem (exclude it)
                raise EnvError(
                    f"byte-compile of {path} with the image's {bc.interpreter} failed "
                    f"(exit {proc.returncode}): {(proc.stdout + proc.stderr).decode(errors='replace')[-800:]}"
                )
        made: dict[str, bytes] = {}
        for dirpath, _dirs, files in os.walk(root):
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            if not rel_dir.endswith("__pycache__"):
                continue
            for f in sorted(files):
                path = f"{rel_dir}/{f}"
                if f.endswith(".pyc") and path not in before:
                    made[path] = (Path(dirpath) / f).read_bytes()
    for path, data in sorted(made.items()):
        _add(fs, path, data, mtime)
    _cache_put(key, made)
    return Compiled(len(made))


def _add(fs: RootFS, path: str, data: bytes, mtime: int) -> None:
    parent = posixpath.dirname(path)
    if not fs.exists(parent):
        fs.put(Node(parent, "dir", 0o755, mtime=mtime))
    fs.put(Node(path, "file", 0o644, mtime=mtime, data=data))


# -- a cache of compiled trees: same interpreter, same sources, same .pyc -------------------


def _cache_key(fs: RootFS, nodes: list[Node], bc: ByteCompile, arch: str, interp: str) -> str:
    h = hashlib.sha256(f"pyc/1|{arch}|{bc.exclude}|{sorted(bc.paths)}\n".encode())
    for n in nodes:
        if n.kind in ("file", "hardlink") and (n.path == interp or n.path.endswith(".py")):
            h.update(n.path.encode() + b"\0" + hashlib.sha256(n.data or b"").digest())
    return h.hexdigest()


def _cache_dir() -> Path:
    return paths.cache_dir() / "pyc"


def _cache_get(key: str) -> dict[str, bytes] | None:
    f = _cache_dir() / f"{key}.zip"
    if not f.exists():
        return None
    try:
        with zipfile.ZipFile(f) as z:
            return {name: z.read(name) for name in z.namelist()}
    except (OSError, zipfile.BadZipFile):
        return None


def _cache_put(key: str, made: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in sorted(made.items()):
            z.writestr(name, data)
    atomic.write_bytes(_cache_dir() / f"{key}.zip", buf.getvalue())
