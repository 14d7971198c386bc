"""OSV JSON (https://ossf.github.io/osv-schema/) for Debian, PyPI, npm, Maven and Go.

Accepts one record, a list of records, or the records of a directory or zip dump (the
loader unpacks those). Each `affected[]` entry becomes an `AffectedPackage` with its ranges
(`ECOSYSTEM`, `SEMVER`, `GIT`; `introduced`, `fixed`, `last_affected`, `limit`) and its
`versions` list, validated on import: a record with an invalid range fails the whole import
(the DB is left as it was) and the error names the record.

Ecosystems: `PyPI`, `npm`, `Maven`, `Go`, `Debian:12`/`Debian:13` (source packages, matched
per release). Records of other ecosystems (and `Debian:11` and older) are skipped and
counted; withdrawn records are skipped. Package names are normalised the way each
ecosystem compares them (PyPI: PEP 503).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from hardbake import distro as distros
from hardbake.errors import InputError
from hardbake.vuln import ranges as range_eval
from hardbake.vuln.feeds.interface import (
    AffectedPackage,
    Document,
    FeedResult,
    VulnRecord,
    looks_like,
    records_of,
)
from hardbake.vuln.interface import Ecosystem
from hardbake.vuln.severity import cvss_score
from hardbake.vuln.state import FeedFormatError

_ECOSYSTEMS = {"PyPI": Ecosystem.pypi, "npm": Ecosystem.npm, "Maven": Ecosystem.maven, "Go": Ecosystem.golang}
_CVSS_PREFERENCE = ("CVSS_V3", "CVSS_V4", "CVSS_V2")


def normalise_name(ecosystem: Ecosystem, name: str) -> str:
    """The form in which an ecosystem compares package names."""
    if ecosystem is Ecosystem.pypi:
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def _is_osv(d: Mapping[str, Any]) -> bool:
    return isinstance(d.get("id"), str) and "modified" in d and ("affected" in d or "withdrawn" in d)


def _ecosystem(text: str) -> tuple[Ecosystem, str | None] | None:
    if text in _ECOSYSTEMS:
        return _ECOSYSTEMS[text], None
    base, _, release = text.partition(":")
    if base == "Debian" and release:
        d = distros.by_codename(release) or next((x for x in distros.DISTROS if x.version == release), None)
        if d is not None:
            return Ecosystem.deb, d.name
    return None


def _severity(rec: Mapping[str, Any]) -> tuple[str | None, float | None, str | None]:
    vector = score = None
    sev = rec.get("severity") or []
    for wanted in _CVSS_PREFERENCE:
        for s in sev:
            if isinstance(s, Mapping) and s.get("type") == wanted and isinstance(s.get("score"), str):
                vector = s["score"]
                score = cvss_score(vector)
                break
        if vector:
            break
    vendor = None
    ds = rec.get("database_specific")
    if isinstance(ds, Mapping) and isinstance(ds.get("severity"), str):
        vendor = ds["severity"]
    return vector, score, vendor


class OsvFeed:
    name: str = "osv"
    covers: tuple[str, ...] = ("pypi", "npm", "maven", "golang", "deb")

    def detect(self, doc: Document) -> bool:
        return looks_like(doc.data, _is_osv)

    def parse(self, docs: Sequence[Document]) -> FeedResult:
        out = FeedResult()
        skipped: Counter[str] = Counter()
        newest = ""
        for d in docs:
            for rec in records_of(d.data, _is_osv):
                vid = rec["id"]
                if rec.get("withdrawn"):
                    skipped["withdrawn"] += 1
                    continue
                newest = max(newest, str(rec.get("modified", "")))
                vector, score, vendor = _severity(rec)
                aliases = tuple(str(a) for a in rec.get("aliases") or ())
                summary = str(rec.get("summary") or rec.get("details") or "")[:500]
                out.records.append(
                    VulnRecord(
                        vid,
                        aliases,
                        summary,
                        vector,
                        score,
                        vendor,
                        rec.get("published"),
                        rec.get("modified"),
                    )
                )
                for aff in rec.get("affected") or []:
                    pkg = aff.get("package") if isinstance(aff, Mapping) else None
                    if not isinstance(pkg, Mapping) or not pkg.get("name") or not pkg.get("ecosystem"):
                        raise FeedFormatError(
                            f"{d.name}: {vid}: affected entry without package name/ecosystem"
                        )
                    eco = _ecosystem(str(pkg["ecosystem"]))
                    if eco is None:
                        skipped[f"ecosystem {pkg['ecosystem']}"] += 1
                        continue
                    ecosystem, distro = eco
                    ranges = []
                    for r in aff.get("ranges") or ():
                        try:
                            range_eval.validate(ecosystem, [r])
                        except range_eval.UnreadableVersion as e:
                            out.skipped.append(f"{vid} {pkg['name']}: range not imported: {e.message}")
                            continue
                        except InputError as e:
                            raise FeedFormatError(
                                f"{d.name}: OSV record {vid} ({pkg['name']}): {e.message}",
                                hint="fix or drop the record; nothing was imported",
                            ) from e
                        ranges.append(r)
                    versions = tuple(str(v) for v in aff.get("versions") or ())
                    if ecosystem is Ecosystem.pypi:
                        versions = tuple(dict.fromkeys(range_eval.canonical_pypi(v) for v in versions))
                    if not ranges and not versions:
                        continue
                    out.records.append(
                        AffectedPackage(
                            vid,
                            ecosystem,
                            normalise_name(ecosystem, str(pkg["name"])),
                            tuple(ranges),
                            versions,
                            distro,
                        )
                    )
        out.skipped.extend(f"{n} records skipped: {why}" for why, n in sorted(skipped.items()))
        out.data_date = newest or None
        return out


FEED = OsvFeed()
