"""npm packages: the `package.json` at the root of every installed package.

A package is installed where Node's resolver looks: `.../node_modules/<name>/package.json`
or `.../node_modules/@scope/<name>/package.json` (any project, and the global dirs
`/usr/local/lib/node_modules`, `/usr/lib/node_modules`), plus Debian's own node library
dirs `/usr/share/nodejs/<name>` and `/usr/lib/nodejs/<name>` (owned by debs). Other
package.json files (a package's `lib/package.json` with only `"type"`) are not packages.
Licences: `license` (SPDX expression, or the legacy `{type}` object) and legacy `licenses`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, BinaryIO, ClassVar, NamedTuple

from hardbake.oci.filesystem import FileInfo
from hardbake.sbom import licenses, purl
from hardbake.sbom.inventory.interface import (
    Cataloger,
    CatalogResult,
    Context,
    Found,
    Unreadable,
    bounded_read,
)
from hardbake.sbom.model import Ecosystem, Package

_LIMIT = 8 << 20
_DEBIAN_DIRS = ("usr/share/nodejs", "usr/lib/nodejs")


class Manifest(NamedTuple):
    name: str
    version: str
    licenses: tuple[str, ...]
    author: str | None


def _is_package_root(path: str) -> bool:
    parts = path.split("/")
    if len(parts) < 3 or parts[-1] != "package.json":
        return False
    if parts[-3] == "node_modules" and not parts[-2].startswith("@"):
        return True
    if len(parts) >= 4 and parts[-4] == "node_modules" and parts[-3].startswith("@"):
        return True
    parent = "/".join(parts[:-2])
    scoped_parent = "/".join(parts[:-3])
    return parent in _DEBIAN_DIRS or (parts[-3].startswith("@") and scoped_parent in _DEBIAN_DIRS)


def _license_names(doc: dict[str, Any]) -> list[str]:
    out = []
    lic = doc.get("license")
    for item in [lic, *(doc.get("licenses") or [] if isinstance(doc.get("licenses"), list) else [])]:
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
        elif isinstance(item, dict) and isinstance(item.get("type"), str):
            out.append(item["type"].strip())
    return [x for x in out if x.upper() not in ("UNLICENSED", "SEE LICENSE IN LICENSE")]


def _author(doc: dict[str, Any]) -> str | None:
    a = doc.get("author")
    if isinstance(a, str):
        return a.strip() or None
    if isinstance(a, dict) and isinstance(a.get("name"), str):
        return a["name"].strip() or None
    return None


class NpmCataloger(Cataloger):
    name: ClassVar[str] = "npm"
    ecosystem: ClassVar[Ecosystem] = Ecosystem.npm
    reads: ClassVar[str] = "**/node_modules/[@scope/]<name>/package.json, /usr/share/nodejs/*/package.json"

    def wants(self, info: FileInfo) -> bool:
        return info.path.endswith("/package.json") and _is_package_root(info.path)

    def read(self, info: FileInfo, stream: BinaryIO) -> object:
        data = bounded_read(stream, info, _LIMIT)
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeError) as e:
            raise Unreadable(f"/{info.path}: not JSON ({e})") from e
        if not isinstance(doc, dict):
            raise Unreadable(f"/{info.path}: a package.json must be an object")
        name, version = doc.get("name"), doc.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
            return None  # a package.json without both is a project file, not an installed package
        return Manifest(name, version, tuple(_license_names(doc)), _author(doc))

    def packages(self, found: Mapping[str, Found], ctx: Context) -> CatalogResult:
        out = []
        for path in sorted(found):
            f = found[path]
            if not isinstance(f.result, Manifest):
                continue
            name, version, declared, author = f.result
            layer, diff_id = ctx.layer_of(f.info)
            out.append(
                Package(
                    ecosystem=Ecosystem.npm,
                    name=name,
                    version=version,
                    purl=purl.npm(name, version),
                    found_at=f"/{path}",
                    layer=layer,
                    layer_diff_id=diff_id,
                    licenses=licenses.combine(declared),
                    supplier=author,
                )
            )
        return CatalogResult(tuple(out))
