"""Go binaries: the modules an executable was built from, from its embedded build info.

Reads every executable regular file (any `x` bit) that starts with the ELF magic; the build
info format and how it is found are in `hardbake.sbom.gobuildinfo`. Per binary:

- the main module (`mod` line): its version is `(devel)` for a local build; then a version
  stamped with `-ldflags "-X main.version=V"` (or any `...version`/`...Version` symbol) is
  used instead, and the property `hardbake:go:version-from` says so;
- every dependency (`dep`), replaced by its `=>` module when that has a version (a local
  directory replacement keeps the original and records the directory);
- the Go standard library as `stdlib` at the toolchain's version (`pkg:golang/stdlib@1.19.8`,
  the name and version form the Go vulnerability database uses).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, BinaryIO, ClassVar, NamedTuple

from hardbake.oci.filesystem import FileInfo
from hardbake.sbom import gobuildinfo, purl
from hardbake.sbom.gobuildinfo import BuildInfo, Module
from hardbake.sbom.inventory.interface import NEEDS_SEEK, Cataloger, CatalogResult, Context, Found, Unreadable
from hardbake.sbom.inventory.java import SUFFIXES
from hardbake.sbom.model import Ecosystem, Package

_MIN_SIZE = 1024


class GoCataloger(Cataloger):
    name: ClassVar[str] = "go"
    ecosystem: ClassVar[Ecosystem] = Ecosystem.golang
    reads: ClassVar[str] = "executables (ELF) with Go build info"

    def wants(self, info: FileInfo) -> bool:
        return bool(info.mode & 0o111) and info.size >= _MIN_SIZE and not info.path.lower().endswith(SUFFIXES)

    def read(self, info: FileInfo, stream: BinaryIO) -> object:
        try:
            return gobuildinfo.scan_stream(stream)
        except gobuildinfo.PointerFormat:
            return NEEDS_SEEK

    def read_seekable(self, info: FileInfo, f: IO[bytes]) -> object:
        try:
            return gobuildinfo.parse_seekable(f)  # type: ignore[arg-type]
        except (gobuildinfo.NotBuildInfo, ValueError, KeyError) as e:
            raise Unreadable(f"/{info.path}: Go build info could not be read ({e})") from e

    def packages(self, found: Mapping[str, Found], ctx: Context) -> CatalogResult:
        out: list[Package] = []
        for path in sorted(found):
            f = found[path]
            if not isinstance(f.result, BuildInfo):
                continue
            out += self._binary(f"/{path}", f.result, ctx.layer_of(f.info))
        return CatalogResult(tuple(out))

    @staticmethod
    def _binary(where: str, bi: BuildInfo, layer: tuple[int, str | None]) -> list[Package]:
        at = _At(where, *layer)
        go = bi.go_version.removeprefix("go")
        out = []
        if bi.main is not None and bi.main.path:
            version, props = bi.main.version or "(devel)", [("hardbake:go:toolchain", bi.go_version)]
            if version == "(devel)" and (stamped := bi.ldflags_version()):
                version = stamped
                props.append(("hardbake:go:version-from", "ldflags"))
            if bi.path:
                props.append(("hardbake:go:main-package", bi.path))
            for key in ("GOOS", "GOARCH", "vcs.revision"):
                if (v := bi.setting(key)) is not None:
                    props.append((f"hardbake:go:build:{key}", v))
            out.append(
                Package(
                    ecosystem=Ecosystem.golang,
                    name=bi.main.path,
                    version=version,
                    purl=purl.golang(bi.main.path, version),
                    properties=tuple(props),
                    found_at=at.where,
                    layer=at.layer,
                    layer_diff_id=at.diff_id,
                )
            )
        for dep in bi.deps:
            out.append(_dep(dep, at))
        if go:
            out.append(
                Package(
                    ecosystem=Ecosystem.golang,
                    name="stdlib",
                    version=go,
                    purl=purl.golang("stdlib", go),
                    found_at=at.where,
                    layer=at.layer,
                    layer_diff_id=at.diff_id,
                )
            )
        return out


class _At(NamedTuple):
    where: str
    layer: int
    diff_id: str | None


def _dep(dep: Module, at: _At) -> Package:
    m, props = dep, []
    if dep.replaced_by is not None:
        local = dep.replaced_by.path.startswith(("./", "../", "/"))
        if not local and dep.replaced_by.version not in ("", "(devel)"):
            m = dep.replaced_by
            props.append(("hardbake:go:replaces", f"{dep.path}@{dep.version}"))
        else:
            props.append(("hardbake:go:replaced-by", dep.replaced_by.path))
    if m.sum:
        props.append(("hardbake:go:sum", m.sum))
    version = m.version or "(devel)"
    return Package(
        ecosystem=Ecosystem.golang,
        name=m.path,
        version=version,
        purl=purl.golang(m.path, version),
        properties=tuple(props),
        found_at=at.where,
        layer=at.layer,
        layer_diff_id=at.diff_id,
    )
