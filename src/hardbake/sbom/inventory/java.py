"""Java archives: jar, war, ear (and Jenkins' jpi/hpi), with the jars inside them one level deep.

Per archive (zip): every `META-INF/maven/<groupId>/<artifactId>/pom.properties` is a Maven
package (`groupId`, `artifactId`, `version`; a shaded jar holds several). An archive with
none is one package named from `META-INF/MANIFEST.MF` (`Bundle-SymbolicName` /
`Implementation-Title`, `Bundle-Version` / `Implementation-Version` /
`Specification-Version`) or, failing that, its file name (`name-1.2.3.jar`); its groupId is
`Implementation-Vendor-Id` if given, else guessed (the `Bundle-SymbolicName` without its
last component, else the artifact name) and marked `hardbake:maven:group-guessed`. `Bundle-License` gives licences. Archives inside
the archive (`BOOT-INF/lib/*.jar`, `WEB-INF/lib/*.jar`, ...) are read the same way, one
level deep, and reported as `outer.jar!/inner.jar`.

The archive is spooled (memory up to 16 MiB, then a temporary file) because a zip's
directory is at its end. What is read from inside is bounded whatever the zip headers
claim (metadata 1 MiB; a nested jar 256 MiB, spooled the same way), so a zip bomb cannot
exhaust memory or disk.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, BinaryIO, ClassVar

from hardbake.oci.filesystem import FileInfo
from hardbake.sbom import licenses, purl
from hardbake.sbom.inventory.interface import Cataloger, CatalogResult, Context, Found, Unreadable
from hardbake.sbom.model import Ecosystem, Package

SUFFIXES = (".jar", ".war", ".ear", ".jpi", ".hpi")
_SPOOL = 16 << 20
_META = 1 << 20
_NESTED = 256 << 20
_NAME_VERSION = re.compile(r"^(?P<name>.+?)-(?P<version>\d[\w.+-]*)$")


@dataclass(frozen=True)
class Artifact:
    group: str
    artifact: str
    version: str
    where: str  # path inside the image, `a.jar!/BOOT-INF/lib/b.jar` for nested ones
    licenses: tuple[str, ...] = ()
    guessed_group: bool = False
    name: str | None = None  # Bundle-Name / Implementation-Title, when it differs


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise Unreadable(f"{info.filename} is {info.file_size} bytes, more than {limit}")
    with z.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise Unreadable(f"{info.filename} expands beyond {limit} bytes")
    return data


def _copy_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, out: IO[bytes], limit: int) -> None:
    """Copy a member, refusing more than `limit` bytes whatever its header claims."""
    if info.file_size > limit:
        raise Unreadable(f"{info.filename} is {info.file_size} bytes, more than {limit}")
    copied = 0
    with z.open(info) as f:
        while chunk := f.read(1 << 20):
            copied += len(chunk)
            if copied > limit:
                raise Unreadable(f"{info.filename} expands beyond {limit} bytes")
            out.write(chunk)


def parse_manifest(data: bytes) -> dict[str, str]:
    """The main section of a MANIFEST.MF (JAR spec: 72-byte lines continued by a space)."""
    out: dict[str, str] = {}
    last = None
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break  # the main section ends at the first blank line
        if line.startswith(" ") and last is not None:
            out[last] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            out[last] = value.strip()
    return out


def _properties(data: bytes) -> dict[str, str]:
    out = {}
    for line in data.decode("latin-1").splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        key, sep, value = _kv(line)
        if sep:
            out[key] = value
    return out


def _kv(line: str) -> tuple[str, str, str]:
    m = re.match(r"^([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
    return (m[1], "=", m[2].strip()) if m else (line, "", "")


def _from_manifest(mf: dict[str, str], where: str) -> Artifact | None:
    """One package for an archive without pom.properties: the manifest, else its file name."""
    stem = where.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    m = _NAME_VERSION.match(stem)
    artifact = m["name"] if m else stem
    symbolic = mf.get("Bundle-SymbolicName", "").split(";")[0].strip()
    title = symbolic or mf.get("Implementation-Title") or None
    version = (
        mf.get("Bundle-Version")
        or mf.get("Implementation-Version")
        or mf.get("Specification-Version")
        or (m["version"] if m else None)
    )
    if not version:
        return None
    vendor = mf.get("Implementation-Vendor-Id")
    group = vendor or (symbolic.rsplit(".", 1)[0] if "." in symbolic else artifact)
    lic = _bundle_licenses(mf)
    return Artifact(
        group, artifact, version, where, lic, vendor is None, title if title != artifact else None
    )


def _bundle_licenses(mf: dict[str, str]) -> tuple[str, ...]:
    """OSGi `Bundle-License`: comma-separated SPDX ids or URLs (URLs are not names)."""
    out = []
    for item in mf.get("Bundle-License", "").split(","):
        name = item.split(";")[0].strip()
        if name and "://" not in name:
            out.append(name)
    return tuple(out)


def scan_archive(z: zipfile.ZipFile, where: str, depth: int = 0) -> list[Artifact]:
    found: list[Artifact] = []
    manifest: dict[str, str] = {}
    nested: list[zipfile.ZipInfo] = []
    for info in z.infolist():
        n = info.filename
        if n.startswith("META-INF/maven/") and n.endswith("/pom.properties"):
            props = _properties(_read_member(z, info, _META))
            g, a, v = props.get("groupId"), props.get("artifactId"), props.get("version")
            if g and a and v:
                found.append(Artifact(g, a, v, where))
        elif n.upper() == "META-INF/MANIFEST.MF":
            manifest = parse_manifest(_read_member(z, info, _META))
        elif depth == 0 and n.lower().endswith(SUFFIXES) and not info.is_dir():
            nested.append(info)
    lic = _bundle_licenses(manifest)
    if found and lic:
        found = [Artifact(a.group, a.artifact, a.version, a.where, lic) for a in found]
    if not found:
        one = _from_manifest(manifest, where)
        if one is not None:
            found.append(one)
    for info in nested:
        inner = f"{where}!/{info.filename}"
        try:
            with tempfile.SpooledTemporaryFile(_SPOOL) as spool:
                _copy_member(z, info, spool, _NESTED)
                spool.seek(0)
                with zipfile.ZipFile(spool) as nz:
                    found += scan_archive(nz, inner, depth + 1)
        except (zipfile.BadZipFile, Unreadable, OSError, EOFError, ValueError):
            continue  # a broken nested archive: the outer one still counts
    return found


class JavaCataloger(Cataloger):
    name: ClassVar[str] = "java"
    ecosystem: ClassVar[Ecosystem] = Ecosystem.maven
    reads: ClassVar[str] = "**/*.jar, *.war, *.ear, *.jpi, *.hpi (pom.properties, MANIFEST.MF, nested jars)"

    def wants(self, info: FileInfo) -> bool:
        return info.path.lower().endswith(SUFFIXES) and info.size > 0

    def read(self, info: FileInfo, stream: BinaryIO) -> object:
        with tempfile.SpooledTemporaryFile(_SPOOL) as spool:
            shutil.copyfileobj(stream, spool, 1 << 20)
            spool.seek(0)
            return self.read_seekable(info, spool)

    def read_seekable(self, info: FileInfo, f: IO[bytes]) -> object:
        try:
            with zipfile.ZipFile(f) as z:
                return scan_archive(z, f"/{info.path}")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
            raise Unreadable(f"/{info.path}: not a readable zip archive ({e})") from e

    def packages(self, found: Mapping[str, Found], ctx: Context) -> CatalogResult:
        out = []
        for path in sorted(found):
            f = found[path]
            layer, diff_id = ctx.layer_of(f.info)
            arts: list[Artifact] = f.result  # type: ignore[assignment]
            for a in arts:
                props = [("hardbake:maven:group-guessed", "true")] if a.guessed_group else []
                if a.name:
                    props.append(("hardbake:java:name", a.name))
                out.append(
                    Package(
                        ecosystem=Ecosystem.maven,
                        name=f"{a.group}:{a.artifact}",
                        version=a.version,
                        purl=purl.maven(a.group, a.artifact, a.version),
                        found_at=a.where,
                        layer=layer,
                        layer_diff_id=diff_id,
                        licenses=licenses.combine(a.licenses),
                        properties=tuple(props),
                    )
                )
        return CatalogResult(tuple(out))
