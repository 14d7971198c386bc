"""Debian packages: dpkg's database, classic or distroless-style.

Reads:
- `/var/lib/dpkg/status`: a stanza per package; only packages whose `Status:` says their
  files are on disk count (`installed`, `unpacked`, `half-configured`, `half-installed`,
  `triggers-*`); `config-files` and `not-installed` are gone.
- `/var/lib/dpkg/status.d/<pkg>`: distroless-style control stanzas (no Status line means
  installed), and `<pkg>.md5sums` beside them: the files the image holds.
- `/var/lib/dpkg/info/<pkg>[:<arch>].list`: the files of each package of the classic DB.
- `/usr/share/doc/<pkg>/copyright`: licences, when the file is DEP-5 (doc directories that
  are symlinks to another package's, as Debian ships some, are followed inside the image).

The source package and its version come from `Source: name (version)` (absent: the binary's
own). The layer of a package is the layer of its status.d entry, or of its `.list` file (the
classic `status` file is rewritten by every layer that installs anything, so its own layer
says nothing about one package).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import BinaryIO, ClassVar

from hardbake.oci.filesystem import EntryKind, FileInfo
from hardbake.sbom import dep5, licenses, purl
from hardbake.sbom.deb822 import Paragraph, paragraphs
from hardbake.sbom.inventory.interface import (
    Cataloger,
    CatalogResult,
    Context,
    Found,
    Unreadable,
    bounded_read,
)
from hardbake.sbom.model import Ecosystem, Licenses, Package

STATUS = "var/lib/dpkg/status"
STATUS_D = "var/lib/dpkg/status.d/"
INFO = "var/lib/dpkg/info/"
_DOC = re.compile(r"^usr/share/doc/[^/]+/copyright$")
_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?$")
_ON_DISK = {
    "installed",
    "unpacked",
    "half-configured",
    "half-installed",
    "triggers-awaited",
    "triggers-pending",
}
_LIMIT = 64 << 20


def on_disk(status: str | None) -> bool:
    """`Status: want flag state` (dpkg(1)): are the package's files on disk?"""
    if status is None:
        return True  # distroless status.d entries carry no Status line
    words = status.split()
    return len(words) == 3 and words[2] in _ON_DISK


def source_of(para: Paragraph, name: str, version: str) -> tuple[str, str]:
    src = para.first_line("Source")
    if not src:
        return name, version
    m = _SOURCE.match(src)
    if not m:
        return name, version
    return m[1], m[2] or version


def _paths(data: bytes, md5sums: bool) -> list[str]:
    out = []
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        if md5sums:
            _, sep, line = line.partition("  ")
            if not sep:
                continue
        line = line.strip().strip("/")
        if line and line != ".":
            out.append(line)
    return out


class DpkgCataloger(Cataloger):
    name: ClassVar[str] = "dpkg"
    ecosystem: ClassVar[Ecosystem] = Ecosystem.deb
    reads: ClassVar[str] = (
        "/var/lib/dpkg/status, /var/lib/dpkg/status.d/*, /var/lib/dpkg/info/*.list, "
        "/usr/share/doc/*/copyright"
    )

    def wants(self, info: FileInfo) -> bool:
        p = info.path
        if p == STATUS:
            return True
        if p.startswith(STATUS_D):
            return "/" not in p[len(STATUS_D) :]
        if p.startswith(INFO):
            return p.endswith(".list") and "/" not in p[len(INFO) :]
        return p.startswith("usr/share/doc/") and bool(_DOC.match(p))

    def read(self, info: FileInfo, stream: BinaryIO) -> object:
        data = bounded_read(stream, info, _LIMIT)
        p = info.path
        if p.endswith("/copyright"):
            return dep5.declared_licenses(data)
        if p.startswith(INFO):
            return _paths(data, md5sums=False)
        if p.startswith(STATUS_D) and p.endswith(".md5sums"):
            return _paths(data, md5sums=True)
        paras = [x for x in paragraphs(data) if "package" in x]
        if not paras and data.strip():
            raise Unreadable(f"/{p}: no package stanza in it")
        return paras

    def packages(self, found: Mapping[str, Found], ctx: Context) -> CatalogResult:
        warnings: list[str] = []
        out: list[Package] = []
        owners: dict[str, str] = {}
        stanzas: list[tuple[Paragraph, Found, bool]] = []  # (stanza, file read, from status.d)
        status = found.get(STATUS)
        if status is not None:
            stanzas += [(x, status, False) for x in status.result]  # type: ignore[attr-defined]
        for path in sorted(found):
            if path.startswith(STATUS_D) and not path.endswith(".md5sums"):
                stanzas += [(x, found[path], True) for x in found[path].result]  # type: ignore[attr-defined]
        seen: set[tuple[str, str]] = set()
        for para, where, distroless in stanzas:
            name, version = para.first_line("Package"), para.first_line("Version")
            arch = para.first_line("Architecture")
            if not name or not version:
                warnings.append(f"/{where.info.path}: a stanza without Package or Version was skipped")
                continue
            if not on_disk(para.first_line("Status")):
                continue
            if (name, arch or "") in seen:
                warnings.append(
                    f"/{where.info.path}: {name} ({arch}) is recorded twice; the first one counts"
                )
                continue
            seen.add((name, arch or ""))
            if distroless:
                files_at: Found | None = found.get(f"{where.info.path}.md5sums")
                layer_info = where.info
            else:
                files_at = found.get(f"{INFO}{name}:{arch}.list") or found.get(f"{INFO}{name}.list")
                layer_info = files_at.info if files_at is not None else where.info
            pkg_purl = self._purl(name, version, arch, ctx)
            nfiles = present = None
            if files_at is not None:
                nfiles, present = self._files(files_at, pkg_purl, ctx, owners)
            src, src_version = source_of(para, name, version)
            layer, diff_id = ctx.layer_of(layer_info)
            out.append(
                Package(
                    ecosystem=Ecosystem.deb,
                    name=name,
                    version=version,
                    purl=pkg_purl,
                    found_at=f"/{where.info.path}",
                    layer=layer,
                    layer_diff_id=diff_id,
                    arch=arch,
                    source=src,
                    source_version=src_version,
                    licenses=self._licenses(name, found, ctx),
                    supplier=para.first_line("Maintainer"),
                    files=nfiles,
                    files_present=present,
                    presence="partial" if nfiles and present is not None and present < nfiles else "complete",
                )
            )
        return CatalogResult(tuple(out), tuple(warnings), owners)

    def _purl(self, name: str, version: str, arch: str | None, ctx: Context) -> str:
        os_id, distro = "debian", None
        if ctx.os is not None and ctx.os.is_debian_like:
            os_id, distro = ctx.os.id, ctx.os.distro
        return purl.deb(name, version, arch, os_id, distro)

    @staticmethod
    def _files(files_at: Found, pkg_purl: str, ctx: Context, owners: dict[str, str]) -> tuple[int, int]:
        """(files listed, files the image still holds); directories do not count."""
        listed = present = 0
        for path in files_at.result:  # type: ignore[attr-defined]
            e = ctx.resolve(path)
            if e is None:
                listed += 1
                continue
            if e.kind is EntryKind.DIR:
                continue
            listed += 1
            present += 1
            owners.setdefault(e.path, pkg_purl)
        return listed, present

    @staticmethod
    def _licenses(name: str, found: Mapping[str, Found], ctx: Context) -> Licenses:
        e = ctx.resolve(f"usr/share/doc/{name}/copyright")
        if e is None or e.path not in found:
            return Licenses()
        declared = found[e.path].result
        return licenses.combine(declared) if declared else Licenses()  # type: ignore[arg-type]
