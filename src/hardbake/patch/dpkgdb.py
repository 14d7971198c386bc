"""The dpkg database of an image, read without running dpkg: `status` + `info/`, or `status.d/`.

Two layouts exist in the wild:

* a Debian system (mmdebstrap, `FROM debian`): `/var/lib/dpkg/status` (every package's
  control stanza plus `Status:` and `Conffiles:`), and per package
  `/var/lib/dpkg/info/<pkg>[:<arch>].{list,md5sums,conffiles,preinst,postinst,...}`;
* a distroless-style image (Google distroless, hardbake's runtime images):
  `/var/lib/dpkg/status.d/<pkg>` (the control stanza) and `<pkg>.md5sums`; no scripts, no
  file lists beyond the md5sums.

Stanzas are kept as ordered fields with their exact text, so a rewritten status file
changes only the stanzas of the packages that were patched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hardbake.debian.version import DebVersion
from hardbake.errors import InputError
from hardbake.oci.filesystem import FileInfo, Filesystem

DPKG = "var/lib/dpkg"
STATUS = f"{DPKG}/status"
STATUS_D = f"{DPKG}/status.d"
INFO = f"{DPKG}/info"
DIVERSIONS = f"{DPKG}/diversions"
_FIELD = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*):(.*)$")


@dataclass(frozen=True)
class Stanza:
    """One deb822 paragraph: (name, value) pairs in order; a value keeps its continuation lines."""

    fields: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str, what: str = "stanza") -> Stanza:
        out: list[list[str]] = []
        for line in text.split("\n"):
            if not line:
                continue
            if line[0] in " \t":
                if not out:
                    raise InputError(f"{what}: continuation line before any field: {line[:60]!r}")
                out[-1][1] += "\n" + line
                continue
            m = _FIELD.match(line)
            if m is None:
                raise InputError(f"{what}: malformed line {line[:60]!r}")
            out.append([m[1], m[2].strip()])
        return cls(tuple((k, v) for k, v in out))

    def get(self, name: str, default: str | None = None) -> str | None:
        low = name.lower()
        return next((v for k, v in self.fields if k.lower() == low), default)

    def with_field(self, name: str, value: str | None, *, after: str | None = None) -> Stanza:
        """Set (or, with None, drop) a field; a new field goes after `after` (else at the end)."""
        low = name.lower()
        fields = [(k, v) for k, v in self.fields if k.lower() != low]
        if value is not None:
            exists = any(k.lower() == low for k, _ in self.fields)
            pos = len(fields)
            if exists:
                pos = next(i for i, (k, _) in enumerate(self.fields) if k.lower() == low)
            elif after is not None:
                pos = next((i + 1 for i, (k, _) in enumerate(fields) if k.lower() == after.lower()), pos)
            fields.insert(pos, (name, value))
        return Stanza(tuple(fields))

    def dump(self) -> str:
        lines = []
        for k, v in self.fields:
            first, *rest = v.split("\n")
            lines.append(f"{k}: {first}".rstrip() if first else f"{k}:")
            lines.extend(rest)
        return "\n".join(lines) + "\n"


def parse_stanzas(text: str, what: str) -> list[Stanza]:
    return [Stanza.parse(p, what) for p in re.split(r"\n[ \t]*\n", text.strip("\n")) if p.strip()]


@dataclass(frozen=True)
class Installed:
    """An installed package as dpkg recorded it."""

    stanza: Stanza
    origin: str  # the file its stanza lives in (status, or status.d/<file>)

    @property
    def name(self) -> str:
        return self.stanza.get("Package") or ""

    @property
    def version(self) -> str:
        return self.stanza.get("Version") or ""

    @property
    def arch(self) -> str:
        return self.stanza.get("Architecture") or ""

    @property
    def source(self) -> tuple[str, str]:
        """(source package, source version): dpkg's `Source: name (version)` or the binary's."""
        text = (self.stanza.get("Source") or "").strip()
        if not text:
            return self.name, self.version
        name, _, rest = text.partition(" ")
        return name, rest.strip().strip("()") or self.version

    @property
    def multi_arch_same(self) -> bool:
        return (self.stanza.get("Multi-Arch") or "").strip() == "same"

    @property
    def info_name(self) -> str:
        """The name of its info/ files: `<pkg>:<arch>` for Multi-Arch: same packages."""
        return f"{self.name}:{self.arch}" if self.multi_arch_same else self.name

    @property
    def conffiles(self) -> dict[str, str]:
        """path -> md5 of the distributed version (the `Conffiles:` field)."""
        out = {}
        for line in (self.stanza.get("Conffiles") or "").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith("/"):
                out[parts[0]] = parts[1]
        return out

    def key(self) -> tuple[str, str]:
        return (self.name, self.arch)


@dataclass
class DpkgDB:
    style: str  # "status" | "status.d"
    packages: list[Installed]
    other: list[Stanza] = field(default_factory=list)  # status stanzas not installed (config-files ...)
    status_order: list[tuple[str, str]] = field(default_factory=list)  # status: original order of keys
    diversions: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (divert to, by package)

    def find(self, name: str, arch: str | None = None) -> Installed | None:
        for p in self.packages:
            if p.name == name and (arch is None or p.arch == arch):
                return p
        return None

    def versions(self) -> dict[str, list[tuple[DebVersion, Installed]]]:
        out: dict[str, list[tuple[DebVersion, Installed]]] = {}
        for p in self.packages:
            out.setdefault(p.name, []).append((DebVersion(p.version), p))
        return out


def _installed(stanza: Stanza) -> bool:
    status = (stanza.get("Status") or "install ok installed").split()
    return len(status) == 3 and status[2] == "installed"


def _diversions(text: str) -> dict[str, tuple[str, str]]:
    """dpkg's diversions file: triples of lines (path, diverted to, package or ':')."""
    lines = text.split("\n")
    out = {}
    for i in range(0, len(lines) - 2, 3):
        if lines[i]:
            out[lines[i]] = (lines[i + 1], lines[i + 2])
    return out


#: what one pass over the layers keeps: dpkg's records, small files under /etc (conffiles,
#: os-release), and the os-release /etc/os-release usually links to
_SNAPSHOT_LIMIT = 1 << 20


def snapshot(fs: Filesystem) -> dict[str, bytes]:
    """dpkg's database, small /etc files and os-release, read in one pass over the layers."""

    def wanted(e: FileInfo) -> bool:
        p = e.path
        if p.startswith(DPKG + "/"):
            return not p.startswith((f"{DPKG}/updates/", f"{DPKG}/triggers/"))
        return (p.startswith("etc/") and e.size <= _SNAPSHOT_LIMIT) or p == "usr/lib/os-release"

    return {info.path: stream.read() for info, stream in fs.open_files(wanted)}


def read_db(fs: Filesystem, files: Mapping[str, bytes]) -> DpkgDB:
    """The image's dpkg database (from a `snapshot`); InputError when it has none."""
    if STATUS in files:
        text = files[STATUS].decode("utf-8", "replace")
        db = DpkgDB("status", [])
        for st in parse_stanzas(text, f"/{STATUS}"):
            if st.get("Package") is None:
                continue
            if _installed(st):
                pkg = Installed(st, STATUS)
                db.packages.append(pkg)
                db.status_order.append(pkg.key())
            else:
                db.other.append(st)
                db.status_order.append(("", str(len(db.other) - 1)))
        if DIVERSIONS in files:
            db.diversions = _diversions(files[DIVERSIONS].decode("utf-8", "replace"))
        return db
    entries = sorted(p for p in files if p.startswith(STATUS_D + "/") and not p.endswith(".md5sums"))
    if not entries:
        raise InputError(
            f"{fs.image}: no dpkg database (/{STATUS} or /{STATUS_D}/)",
            hint="hardbake patch updates Debian packages; this image does not record any",
        )
    db = DpkgDB("status.d", [])
    for path in entries:
        for st in parse_stanzas(files[path].decode("utf-8", "replace"), f"/{path}"):
            if st.get("Package") is not None and _installed(st):
                db.packages.append(Installed(st, path))
    db.packages.sort(key=lambda p: p.key())
    return db


def read_files(fs: Filesystem, paths: Iterable[str]) -> dict[str, bytes]:
    """Several small files in one pass over the layers (missing ones are left out)."""
    return {info.path: stream.read() for info, stream in fs.open_files(list(paths))}


def info_paths(db: DpkgDB, pkg: Installed, kinds: Iterable[str]) -> dict[str, str]:
    """kind -> path of the package's info/ files (status style), or the status.d md5sums."""
    if db.style == "status":
        return {k: f"{INFO}/{pkg.info_name}.{k}" for k in kinds}
    return {"md5sums": f"{pkg.origin}.md5sums"} if "md5sums" in kinds else {}


def md5sums_paths(text: bytes) -> list[str]:
    out = []
    for line in text.decode("utf-8", "replace").splitlines():
        _, sep, path = line.partition("  ")
        if sep and path.strip():
            out.append(path.strip().lstrip("/"))
    return out
