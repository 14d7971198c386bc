"""What makes a `-dev` variant a working Debian system to build in.

A dev image is the runtime plus the Essential set, apt and dpkg, and it must be consistent
enough that `dpkg --audit` is clean and `apt-get install` of a further package works (those
packages' maintainer scripts then run inside the container, as on any Debian system). So
besides unpacking, the build writes what dpkg and the maintainer scripts of the Essential
packages would have left behind:

* /var/lib/dpkg/status (every package `install ok installed`, Conffiles with the md5 of the
  file in the image) and info/<pkg>.{list,md5sums,conffiles,postinst,...}, plus the empty
  admin files dpkg expects (available, diversions, statoverride, triggers/);
* update-alternatives' admin files for the links emulated at build time;
* base-files' copies (/etc/profile, /root/.bashrc, ...), /etc/shells (debianutils'
  add-shell), /etc/ca-certificates.conf (every certificate enabled, the package's default);
* a dpkg `path-exclude` configuration matching the image's file filters, so packages
  installed later are trimmed the same way;
* /etc/apt/sources.list.d/debian.sources from the spec's input (never the build machine's
  configuration, so the digest does not depend on where the image was built).
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass

from hardbake.build.alternatives import Alternative
from hardbake.build.rootfs import MERGED_USR, Node, RootFS, normalise
from hardbake.debian.deb import ControlInfo
from hardbake.debian.lock import ArchLock
from hardbake.distro import Distro
from hardbake.spec.model import Include

DPKG = "var/lib/dpkg"
SHELLS = ("sh", "dash", "bash", "rbash")
_BASE_FILES = {
    "profile": "etc/profile",
    "dot.profile": "root/.profile",
    "dot.bashrc": "root/.bashrc",
    "networks": "etc/networks",
    "motd": "etc/motd",
}


@dataclass(frozen=True)
class AptSources:
    mirror: str
    security_mirror: str

    def deb822(self, distro: Distro) -> str:
        c = distro.codename
        return (
            f"Types: deb\nURIs: {self.mirror}\nSuites: {c} {c}-updates\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
            f"Types: deb\nURIs: {self.security_mirror}\nSuites: {c}-security\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
        )


def _file(fs: RootFS, path: str, data: bytes, mtime: int, mode: int = 0o644) -> None:
    fs.remove(path)
    fs.put(Node(path, "file", mode, mtime=mtime, data=data))


def _dir(fs: RootFS, path: str, mtime: int) -> None:
    if not fs.exists(path):
        fs.put(Node(path, "dir", 0o755, mtime=mtime))


def _status_stanza(info: ControlInfo, fs: RootFS, pkg: str) -> bytes:
    lines = info.control.decode("utf-8", "replace").rstrip("\n").split("\n")
    out = [lines[0], "Status: install ok installed", *lines[1:]]
    conffiles = []
    for line in info.files.get("conffiles", b"").decode(errors="replace").splitlines():
        path = line.strip().split(" ", 1)[0]
        if not path.startswith("/"):
            continue
        node = fs.resolve(path)
        if node is not None and node.data is not None:
            conffiles.append(f" {path} {hashlib.md5(node.data).hexdigest()}")
    if conffiles:
        out.append("Conffiles:")
        out.extend(conffiles)
    return ("\n".join(out) + "\n").encode()


def write_dpkg_db(
    fs: RootFS,
    lock: ArchLock,
    controls: dict[str, ControlInfo],
    shipped: dict[str, list[str]],
    mtime: int,
) -> None:
    """A real /var/lib/dpkg: status and info files for every package of the lock."""
    for d in (
        DPKG,
        f"{DPKG}/info",
        f"{DPKG}/updates",
        f"{DPKG}/triggers",
        f"{DPKG}/alternatives",
        f"{DPKG}/parts",
    ):
        _dir(fs, d, mtime)
    for name in ("available", "diversions", "statoverride", "triggers/File", "triggers/Unincorp"):
        _file(fs, f"{DPKG}/{name}", b"", mtime)
    # info/ database format 1: Multi-Arch: same packages' files are named <pkg>:<arch>.*
    _file(fs, f"{DPKG}/info/format", b"1\n", mtime)
    stanzas = []
    for p in sorted(lock.packages, key=lambda p: p.name):
        info = controls[p.name]
        stanzas.append(_status_stanza(info, fs, p.name))
        base = f"{DPKG}/info/{p.name}" + (f":{p.arch}" if b"\nMulti-Arch: same" in info.control else "")
        # dpkg records paths as the archive names them ("/bin/ls" on Debian 12), directories too
        # only what the image holds (filtered docs are not claimed), so `dpkg --verify` is clean
        listed = ["/."] + ["/" + path for path in shipped[p.name] if fs.exists(normalise(path))]
        _file(fs, f"{base}.list", ("\n".join(sorted(set(listed))) + "\n").encode(), mtime)
        md5 = [
            line
            for line in info.md5sums.decode("utf-8", "replace").splitlines()
            if "  " in line and fs.exists(_relocated(line.split("  ", 1)[1]))
        ]
        if md5:
            _file(fs, f"{base}.md5sums", ("\n".join(md5) + "\n").encode(), mtime)
        for kind, data in sorted(info.files.items()):
            if kind == "md5sums":
                continue
            mode = 0o755 if kind in ("preinst", "postinst", "prerm", "postrm", "config") else 0o644
            _file(fs, f"{base}.{kind}", data, mtime, mode)
    _file(fs, f"{DPKG}/status", b"\n".join(stanzas), mtime)


def _relocated(path: str) -> str:
    try:
        return normalise(path.strip())
    except ValueError:
        return ""


def archive_paths(members_names: list[str]) -> list[str]:
    """Paths as dpkg lists them: the archive's own names (no merged-/usr relocation), dirs too."""
    out = []
    for name in members_names:
        try:
            p = normalise(name, relocate=False)
        except ValueError:
            continue
        if p:
            out.append(p)
    return out


def write_alternatives_db(fs: RootFS, applied: list[Alternative], mtime: int) -> None:
    for alt in applied:
        text = f"auto\n{alt.link}\n\n{alt.path}\n{alt.priority}\n\n"
        _file(fs, f"{DPKG}/alternatives/{alt.name}", text.encode(), mtime)


def write_base_files(fs: RootFS, mtime: int) -> None:
    for src, dest in _BASE_FILES.items():
        node = fs.get(f"usr/share/base-files/{src}")
        if node is not None and node.data is not None and not fs.exists(dest):
            _dir(fs, posixpath.dirname(dest), mtime)
            _file(fs, dest, node.data, mtime)


def write_shells(fs: RootFS, mtime: int) -> None:
    found = []
    for name in SHELLS:
        for d in ("bin", "usr/bin"):
            if fs.resolve(f"{d}/{name}") is not None:
                found.append(f"/{d}/{name}")
    if found:
        _file(
            fs,
            "etc/shells",
            ("# /etc/shells: valid login shells\n" + "\n".join(found) + "\n").encode(),
            mtime,
        )


def write_ca_conf(fs: RootFS, mtime: int) -> None:
    certs = sorted(
        p[len("usr/share/ca-certificates/") :]
        for p in fs.tree
        if p.startswith("usr/share/ca-certificates/") and p.endswith(".crt")
    )
    if certs:
        _file(fs, "etc/ca-certificates.conf", ("\n".join(certs) + "\n").encode(), mtime)


def write_dpkg_excludes(fs: RootFS, include: Include, mtime: int) -> None:
    rules = []
    if not include.docs:
        rules += ["path-exclude /usr/share/doc/*", "path-include /usr/share/doc/*/copyright"]
    if not include.man:
        rules.append("path-exclude /usr/share/man/*")
    if not include.info:
        rules.append("path-exclude /usr/share/info/*")
    if not include.locales:
        rules.append("path-exclude /usr/share/locale/*")
    if rules:
        _dir(fs, "etc/dpkg/dpkg.cfg.d", mtime)
        text = "# hardbake: the same file filters as the image itself\n" + "\n".join(rules) + "\n"
        _file(fs, "etc/dpkg/dpkg.cfg.d/hardbake-excludes", text.encode(), mtime)


def write_apt_sources(fs: RootFS, sources: AptSources, distro: Distro, mtime: int) -> None:
    _dir(fs, "etc/apt/sources.list.d", mtime)
    _file(fs, "etc/apt/sources.list.d/debian.sources", sources.deb822(distro).encode(), mtime)
    for d in ("var/lib/apt/lists/partial", "var/cache/apt/archives/partial"):
        parts = d.split("/")
        for i in range(1, len(parts) + 1):
            _dir(fs, "/".join(parts[:i]), mtime)


__all__ = ["MERGED_USR", "AptSources", "archive_paths", "write_dpkg_db"]
