"""Python distributions: core metadata anywhere in the image (system site-packages, venvs,
user installs, Debian's dist-packages).

Reads `*.dist-info/METADATA` (wheels, pip; core metadata 1.0-2.4), `*.egg-info/PKG-INFO`
(setuptools) and `*.egg-info` files (distutils' single-file form). Licences, in order of
authority (PEP 639): `License-Expression`, then `License` when it is a short name (many
projects paste the whole licence text there; that is not a name), then the trove
classifiers `License :: ...`. A distribution whose METADATA is in a deb's file list is
marked as owned by that deb.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import BinaryIO, ClassVar

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

_LIMIT = 16 << 20
_SHORT = 80


@dataclass(frozen=True)
class Metadata:
    name: str
    version: str
    licenses: tuple[str, ...]
    expression: str | None
    author: str | None


def parse_metadata(data: bytes, where: str) -> Metadata:
    """The fields the inventory needs from a core metadata file (RFC 822 headers)."""
    msg = BytesHeaderParser(policy=compat32).parsebytes(data)
    name, version = msg.get("Name"), msg.get("Version")
    if not name or not version:
        raise Unreadable(f"{where}: core metadata without Name or Version")
    declared: list[str] = []
    lic = str(msg.get("License") or "").strip()
    if lic and "\n" not in lic and len(lic) <= _SHORT and lic.upper() not in ("UNKNOWN", "NONE"):
        declared.append(lic)
    for c in msg.get_all("Classifier") or ():
        parts = [x.strip() for x in str(c).split("::")]
        if len(parts) >= 2 and parts[0] == "License" and parts[-1] not in ("OSI Approved", "License"):
            declared.append(parts[-1])
    expr = str(msg.get("License-Expression") or "").strip() or None
    author = msg.get("Author") or msg.get("Author-email") or msg.get("Maintainer")
    return Metadata(
        str(name).strip(),
        str(version).strip(),
        tuple(declared),
        expr,
        str(author).strip() if author else None,
    )


class PythonCataloger(Cataloger):
    name: ClassVar[str] = "python"
    ecosystem: ClassVar[Ecosystem] = Ecosystem.pypi
    reads: ClassVar[str] = "**/*.dist-info/METADATA, **/*.egg-info/PKG-INFO, **/*.egg-info (files)"

    def wants(self, info: FileInfo) -> bool:
        p = info.path
        return p.endswith((".dist-info/METADATA", ".egg-info/PKG-INFO", ".egg-info"))

    def read(self, info: FileInfo, stream: BinaryIO) -> object:
        return parse_metadata(bounded_read(stream, info, _LIMIT), f"/{info.path}")

    def packages(self, found: Mapping[str, Found], ctx: Context) -> CatalogResult:
        out = []
        for path in sorted(found):
            f = found[path]
            md: Metadata = f.result  # type: ignore[assignment]
            layer, diff_id = ctx.layer_of(f.info)
            if md.expression:
                lic = licenses.combine([md.expression])
            else:
                lic = licenses.combine(md.licenses)
            site = path.rsplit("/", 2 if path.endswith(("METADATA", "PKG-INFO")) else 1)[0]
            out.append(
                Package(
                    ecosystem=Ecosystem.pypi,
                    name=md.name,
                    version=md.version,
                    purl=purl.pypi(md.name, md.version),
                    found_at=f"/{path}",
                    layer=layer,
                    layer_diff_id=diff_id,
                    licenses=lic,
                    supplier=md.author,
                    properties=(("hardbake:python:site", f"/{site}"),),
                )
            )
        return CatalogResult(tuple(out))
