"""The facts `hardbake compare` puts side by side, read from any image (no container runs).

Everything comes from one streaming pass over the image's layers (`oci.Filesystem`) plus the
few files that need reading (dpkg's status, status.d, /etc/passwd). The compressed size is
what `docker save IMAGE | gzip -6` gives, computed from the layers (gzip level 6, in
parallel), so images from any transport compare on the same scale.
"""

from __future__ import annotations

import os
import posixpath
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from debian.deb822 import Deb822

from hardbake.attest.hardening import PACKAGE_MANAGERS, SHELLS
from hardbake.oci import Filesystem
from hardbake.oci.deflate import GzipWriter
from hardbake.oci.filesystem import EntryKind
from hardbake.oci.image import Image

PATH_DIRS = ("usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin")


@dataclass
class ImageFacts:
    ref: str
    digest: str
    platform: str
    compressed: int
    uncompressed: int
    packages: list[str]
    programs: list[str]
    setuid: list[str]
    shells: list[str]
    package_managers: list[str]
    user: str
    os: str
    vulnerabilities: dict[str, int] | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Count:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, b: bytes) -> None:
        self.n += len(b)


def gzip6_size(image: Image) -> int:
    """Bytes of the layers' tar streams gzipped at level 6 (the `docker save | gzip -6` scale)."""
    count = _Count()
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        gz = GzipWriter(count, level=6, executor=pool, workers=workers)
        for layer in image.layers():
            with layer.uncompressed() as f:
                while chunk := f.read(1 << 20):
                    gz.write(chunk)
        gz.close()
    return count.n


def _resolve(fs: Filesystem, path: str, depth: int = 0) -> str | None:
    """Follow links inside the image; None if it leads nowhere (or out, or loops)."""
    if depth > 40:
        return None
    parts = path.strip("/").split("/")
    cur = ""
    for i, part in enumerate(parts):
        nxt = f"{cur}/{part}" if cur else part
        info = fs.get(nxt)
        if info is None:
            return None
        if info.kind == EntryKind.SYMLINK:
            base = "" if info.linkname.startswith("/") else posixpath.dirname(nxt)
            target = posixpath.normpath(posixpath.join("/", base, info.linkname)).lstrip("/")
            rest = "/".join(parts[i + 1 :])
            return _resolve(fs, f"{target}/{rest}" if rest else target, depth + 1)
        cur = nxt
    return cur


def _packages(fs: Filesystem) -> list[str]:
    names: list[str] = []
    wanted = [i.path for i in fs.files() if i.path == "var/lib/dpkg/status" or (
        i.path.startswith("var/lib/dpkg/status.d/") and not i.path.endswith(".md5sums"))]  # fmt: skip
    for path in wanted:
        text = fs.read_bytes(path).decode("utf-8", "replace")
        for para in Deb822.iter_paragraphs(text.splitlines()):
            status = para.get("Status", "install ok installed")
            if para.get("Package") and status.endswith(" installed"):
                names.append(para["Package"])
    return sorted(set(names))


def facts(image: Image, ref: str, *, compressed: bool = True) -> ImageFacts:
    fs = Filesystem.scan(image)
    config = image.config()
    # the standard directories plus whatever the image's own PATH adds (postgres: its bin dir)
    extra = [d.strip("/") for d in config.config.env_map().get("PATH", "").split(":") if d.strip("/")]
    programs: dict[str, str] = {}
    for d in dict.fromkeys([*PATH_DIRS, *extra]):
        real = _resolve(fs, d)
        if real is None:
            continue
        prefix = real + "/"
        for info in fs:
            if info.path.startswith(prefix) and "/" not in info.path[len(prefix) :]:
                target = _resolve(fs, info.path)
                t = fs.get(target) if target else None
                if t is not None and t.is_file and t.mode & 0o111:
                    programs.setdefault(
                        posixpath.basename(info.path), "/" + d + "/" + posixpath.basename(info.path)
                    )
    setuid = sorted("/" + i.path for i in fs.files() if i.mode & (stat.S_ISUID | stat.S_ISGID))
    os_release = ""
    for p in ("etc/os-release", "usr/lib/os-release"):
        target = _resolve(fs, p)
        if target:
            for line in fs.read_bytes(target).decode(errors="replace").splitlines():
                if line.startswith("PRETTY_NAME="):
                    os_release = line.split("=", 1)[1].strip('"')
            break
    return ImageFacts(
        ref=ref,
        digest=str(image.digest()),
        platform=str(image.platform()),
        compressed=gzip6_size(image) if compressed else 0,
        uncompressed=sum(i.size for i in fs.files()),
        packages=_packages(fs),
        programs=sorted(programs),
        setuid=setuid,
        shells=sorted(n for n in programs if n in SHELLS or n.startswith("busybox")),
        package_managers=sorted(n for n in programs if n in PACKAGE_MANAGERS),
        user=config.config.user or "0 (root, no USER set)",
        os=os_release,
    )
