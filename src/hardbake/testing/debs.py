"""Make real .deb files for tests: with dpkg-deb for honest packages, by hand for crafted ones.

`DebSpec` describes a package (control fields, files, maintainer scripts); `build_deb`
builds it with `dpkg-deb --build --root-owner-group`, the same tool Debian uses, so what the
tests read is a real .deb. Attack packages (`..` entries, absolute symlinks, device nodes),
which dpkg-deb refuses to make, are assembled by `build_raw_deb` from an explicit list of
tar members.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class File:
    data: bytes = b""
    mode: int = 0o644
    symlink: str | None = None  # target, makes this a symlink
    directory: bool = False


@dataclass(frozen=True)
class DebSpec:
    name: str
    version: str = "1.0-1"
    arch: str = "amd64"
    depends: str = ""
    pre_depends: str = ""
    provides: str = ""
    conflicts: str = ""
    breaks: str = ""
    recommends: str = ""
    multi_arch: str = ""
    essential: bool = False
    priority: str = "optional"
    section: str = "misc"
    source: str = ""
    description: str = "test package"
    files: dict[str, File] = field(default_factory=dict)
    postinst: str | None = None
    extra_fields: dict[str, str] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        v = self.version.split(":", 1)[-1]
        return f"{self.name}_{v}_{self.arch}.deb"

    def control(self) -> str:
        lines = [f"Package: {self.name}"]
        if self.source:
            lines.append(f"Source: {self.source}")
        lines += [
            f"Version: {self.version}",
            f"Architecture: {self.arch}",
            "Maintainer: hardbake tests <tests@invalid>",
        ]
        lines.append(f"Installed-Size: {max(1, sum(len(f.data) for f in self.files.values()) // 1024)}")
        for key, value in (
            ("Pre-Depends", self.pre_depends),
            ("Depends", self.depends),
            ("Recommends", self.recommends),
            ("Provides", self.provides),
            ("Conflicts", self.conflicts),
            ("Breaks", self.breaks),
            ("Multi-Arch", self.multi_arch),
        ):
            if value:
                lines.append(f"{key}: {value}")
        if self.essential:
            lines.append("Essential: yes")
        lines += [f"Section: {self.section}", f"Priority: {self.priority}"]
        lines += [f"{k}: {v}" for k, v in self.extra_fields.items()]
        lines.append(f"Description: {self.description}")
        return "\n".join(lines) + "\n"


def build_deb(spec: DebSpec, outdir: Path) -> Path:
    """Build `spec` with dpkg-deb; returns the .deb path."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hardbake-deb-") as t:
        root = Path(t) / "root"
        (root / "DEBIAN").mkdir(parents=True)
        md5: list[str] = []
        for path, f in sorted(spec.files.items()):
            p = root / path.lstrip("/")
            if f.directory:
                p.mkdir(parents=True, exist_ok=True)
                p.chmod(f.mode)
                continue
            p.parent.mkdir(parents=True, exist_ok=True)
            if f.symlink is not None:
                p.symlink_to(f.symlink)
                continue
            p.write_bytes(f.data)
            p.chmod(f.mode)
            md5.append(f"{hashlib.md5(f.data).hexdigest()}  {path.lstrip('/')}")
        (root / "DEBIAN" / "control").write_text(spec.control())
        if md5:
            (root / "DEBIAN" / "md5sums").write_text("\n".join(md5) + "\n")
        if spec.postinst is not None:
            pi = root / "DEBIAN" / "postinst"
            pi.write_text(spec.postinst)
            pi.chmod(0o755)
        out = outdir / spec.filename
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(out)],
            check=True,
            capture_output=True,
            env=env,
        )
        return out


@dataclass(frozen=True)
class Member:
    """A raw tar member for crafted packages."""

    name: str
    type: bytes = tarfile.REGTYPE
    data: bytes = b""
    mode: int = 0o644
    linkname: str = ""
    uid: int = 0
    gid: int = 0


def _tar(members: list[Member]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tf:
        for m in members:
            ti = tarfile.TarInfo(m.name)
            ti.type = m.type
            ti.mode = m.mode
            ti.uid, ti.gid = m.uid, m.gid
            ti.mtime = 1700000000
            ti.linkname = m.linkname
            if m.type == tarfile.REGTYPE:
                ti.size = len(m.data)
                tf.addfile(ti, io.BytesIO(m.data))
            else:
                if m.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                    ti.devmajor, ti.devminor = 1, 3
                tf.addfile(ti)
    return buf.getvalue()


def _ar(members: list[tuple[str, bytes]]) -> bytes:
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        header = f"{name:<16}{1700000000:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n".encode()
        out += header + data
        if len(data) % 2:
            out += b"\n"
    return bytes(out)


def build_raw_deb(spec: DebSpec, members: list[Member], outdir: Path) -> Path:
    """A .deb whose data.tar holds exactly `members` (for attack and corner cases)."""
    outdir.mkdir(parents=True, exist_ok=True)
    control = _tar([Member("./control", data=spec.control().encode())])
    data = _tar(members)
    out = outdir / spec.filename
    out.write_bytes(_ar([("debian-binary", b"2.0\n"), ("control.tar.gz", control), ("data.tar.gz", data)]))
    return out
