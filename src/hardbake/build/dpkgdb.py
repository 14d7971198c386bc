"""What dpkg would have recorded: the distroless-style status.d, so scanners see every package.

`/var/lib/dpkg/status.d/<package>` holds the package's control stanza exactly as its .deb
carries it (Source: kept, no Status: line); `<package>.md5sums` beside it lists the files the
image really holds (paths relocated for merged /usr, filtered files left out). Trivy, Grype
and Syft read exactly these. A package whose every file was filtered out gets no entry: the
image does not claim to contain it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardbake.build.rootfs import Node, RootFS, normalise
from hardbake.debian.deb import ControlInfo

STATUS_D = "var/lib/dpkg/status.d"


@dataclass(frozen=True)
class PackagePresence:
    name: str
    files_shipped: int  # regular files and links in the .deb
    files_kept: int  # of those, still in the image

    @property
    def state(self) -> str:
        if self.files_kept == 0:
            return "excluded"
        return "complete" if self.files_kept == self.files_shipped else "partial"


def presence(fs: RootFS, shipped: dict[str, list[str]]) -> list[PackagePresence]:
    """How much of each package's content survived the filters."""
    out = []
    for name in sorted(shipped):
        paths = shipped[name]
        kept = sum(1 for p in paths if (n := fs.get(p)) is not None and n.package == name)
        out.append(PackagePresence(name, len(paths), kept))
    return out


def _md5sums(raw: bytes, fs: RootFS, pkg: str) -> bytes:
    lines = []
    for line in raw.decode("utf-8", "replace").splitlines():
        digest, _, path = line.partition("  ")
        if not path:
            continue
        try:
            p = normalise(path.strip())
        except ValueError:
            continue
        node = fs.get(p)
        if node is not None and node.package == pkg:
            lines.append(f"{digest}  {p}\n")
    return "".join(lines).encode()


def write_status_d(
    fs: RootFS, controls: dict[str, ControlInfo], present: list[PackagePresence], mtime: int
) -> list[str]:
    """Write status.d entries for every package with at least one file kept; returns their names."""
    recorded = []
    for p in present:
        if p.state == "excluded":
            continue
        info = controls[p.name]
        control = info.control if info.control.endswith(b"\n") else info.control + b"\n"
        fs.put(Node(f"{STATUS_D}/{p.name}", "file", 0o644, mtime=mtime, data=control))
        md5 = _md5sums(info.md5sums, fs, p.name)
        if md5:
            fs.put(Node(f"{STATUS_D}/{p.name}.md5sums", "file", 0o644, mtime=mtime, data=md5))
        recorded.append(p.name)
    return recorded
