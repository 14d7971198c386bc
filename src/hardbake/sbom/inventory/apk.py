"""Alpine packages: apk's installed database, `/lib/apk/db/installed`.

The format (apk-tools, "installed database"): one record per package, records separated by
blank lines, each line `X:value` with a one-letter key: `P` name, `V` version, `A` arch,
`L` licence (SPDX-style expression in Alpine's aports), `o` origin (the source package),
`m` maintainer, `F` a directory and `R` a file in the last `F` directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar

from hardbake.oci.filesystem import FileInfo
from hardbake.sbom import licenses, purl
from hardbake.sbom.inventory.interface import Cataloger, CatalogResult, Context, Found, bounded_read
from hardbake.sbom.model import Ecosystem, Package

INSTALLED = "lib/apk/db/installed"
_LIMIT = 64 << 20


@dataclass
class ApkRecord:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        return self.fields.get(key) or None


def parse_installed(data: bytes) -> list[ApkRecord]:
    """The records of an installed database, in order."""
    records: list[ApkRecord] = []
    rec = ApkRecord()
    directory = ""
    for raw in [*data.decode("utf-8", "replace").splitlines(), ""]:
        if not raw.strip():
            if rec.fields:
                records.append(rec)
            rec, directory = ApkRecord(), ""
            continue
        key, sep, value = raw.partition(":")
        if not sep or len(key) != 1:
            continue
        if key == "F":
            directory = value.strip("/")
        elif key == "R":
            rec.files.append(f"{directory}/{value}" if directory else value)
        elif key not in rec.fields:
            rec.fields[key] = value
    return records


class ApkCataloger(Cataloger):
    name: ClassVar[str] = "apk"
    ecosystem: ClassVar[Ecosystem] = Ecosystem.apk
    reads: ClassVar[str] = "/lib/apk/db/installed"

    def wants(self, info: FileInfo) -> bool:
        return info.path == INSTALLED

    def read(self, info: FileInfo, stream: BinaryIO) -> object:
        return parse_installed(bounded_read(stream, info, _LIMIT))

    def packages(self, found: Mapping[str, Found], ctx: Context) -> CatalogResult:
        db = found.get(INSTALLED)
        if db is None:
            return CatalogResult()
        os_id, distro = "alpine", None
        if ctx.os is not None:
            os_id, distro = ctx.os.id, ctx.os.distro
        layer, diff_id = ctx.layer_of(db.info)
        out: list[Package] = []
        warnings: list[str] = []
        owners: dict[str, str] = {}
        records: list[ApkRecord] = db.result  # type: ignore[assignment]
        for rec in records:
            name, version = rec.get("P"), rec.get("V")
            if not name or not version:
                warnings.append(f"/{INSTALLED}: a record without P: or V: was skipped")
                continue
            arch = rec.get("A")
            p = purl.apk(name, version, arch, os_id, distro)
            present = 0
            for f in rec.files:
                e = ctx.resolve(f)
                if e is not None:
                    present += 1
                    owners.setdefault(e.path, p)
            lic = rec.get("L")
            out.append(
                Package(
                    ecosystem=Ecosystem.apk,
                    name=name,
                    version=version,
                    purl=p,
                    found_at=f"/{INSTALLED}",
                    layer=layer,
                    layer_diff_id=diff_id,
                    arch=arch,
                    source=rec.get("o") or name,
                    source_version=version,
                    licenses=licenses.combine([lic]) if lic else licenses.combine([]),
                    supplier=rec.get("m"),
                    files=len(rec.files),
                    files_present=present,
                    presence="partial" if present < len(rec.files) else "complete",
                )
            )
        return CatalogResult(tuple(out), tuple(warnings), owners)
