"""Debian security tracker entries, and the CVE <-> DSA/DLA join, shared by two feeds.

The tracker's `data/CVE/list` and `data/DSA/list` / `data/DLA/list` (text) and the per-entry
JSON of vuln-list-debian (the same lines, pre-parsed) both become `Entry` values here, then
`join()` turns them into `DebianStatus` rows:

- A CVE's own lines give its rows. `- pkg ...` (no release tag) is the unstable (sid) line;
  `[bookworm] - pkg ...` is bookworm's own line.
- An advisory (DSA/DLA) names CVEs in `{...}` and carries `[release] - pkg VERSION` lines:
  each such line is the fixed version of *every* CVE it names, for that release and
  package — this is where most stable fixes live (CVE-2023-4911 is fixed in bookworm only
  through DSA-5514-1). The join goes both ways: a CVE's `{DSA-...}` reference and the
  advisory's `{CVE-...}` list are unioned. A CVE's own release line wins over an advisory's;
  between advisories, the lowest fixed version (the first fix) wins.
- Releases with no line (their own or an advisory's) get no row: they inherit the sid line
  at match time, when their installed version is known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from hardbake.debian.version import DebVersion
from hardbake.errors import InputError
from hardbake.vuln.feeds.interface import DebianStatus, VulnRecord
from hardbake.vuln.state import FeedFormatError, Kind

URGENCIES = ("unimportant", "low", "medium", "high")
#: kinds whose parenthesised note is a free-text reason, not `bug #N; urgency` notes
REASON_KINDS = (Kind.no_dsa, Kind.postponed, Kind.ignored, Kind.end_of_life, Kind.not_affected)

_PKG_RE = re.compile(
    r"^(?:\[(?P<release>[a-z-]+)\]\s+)?-\s+(?P<pkg>[A-Za-z0-9][A-Za-z0-9.+-]*)"
    r"(?:\s+(?P<ver><[a-z-]+>|[A-Za-z0-9:.+~-]+))?(?:\s+\((?P<notes>.*)\))?\s*$"
)
_BUG_RE = re.compile(r"^bug\s*#\s*(\d+)$")


@dataclass(frozen=True)
class PackageLine:
    release: str | None
    package: str
    kind: Kind
    version: str | None = None
    urgency: str | None = None
    reason: str | None = None
    bug: int | None = None


@dataclass
class Entry:
    id: str
    header: str = ""
    date: str | None = None
    xrefs: list[str] = field(default_factory=list)
    lines: list[PackageLine] = field(default_factory=list)

    @property
    def is_advisory(self) -> bool:
        return self.id.startswith(("DSA-", "DLA-", "DTSA-", "ELA-"))


def package_line(text: str, where: str) -> PackageLine:
    """Parse `[release] - pkg VERSION|<state> (notes)` by the tracker's grammar."""
    m = _PKG_RE.match(text.strip())
    if not m:
        raise FeedFormatError(f"{where}: not a tracker package line: {text.strip()!r}")
    ver, notes = m["ver"], m["notes"]
    if ver is None:
        raise FeedFormatError(f"{where}: package line without a version or state: {text.strip()!r}")
    if ver.startswith("<"):
        kind, version = Kind.parse(ver), None
    else:
        kind, version = Kind.fixed, ver
        if ver != "0":
            try:
                DebVersion(ver)
            except InputError as e:
                raise FeedFormatError(f"{where}: {e.message}") from e
    return line_from_parts(m["release"], m["pkg"], kind, version, notes)


def line_from_parts(
    release: str | None, pkg: str, kind: Kind, version: str | None, notes: str | None
) -> PackageLine:
    urgency = reason = None
    bug = None
    if notes:
        if kind in REASON_KINDS:
            reason = notes.strip()
        else:
            free: list[str] = []
            for part in (p.strip() for p in notes.split(";")):
                b = _BUG_RE.match(part)
                if b:
                    bug = int(b[1])
                elif part.rstrip("*") in URGENCIES:
                    urgency = part
                elif part and part != "bug filed":
                    free.append(part)
            reason = "; ".join(free) or None
    return PackageLine(release, pkg, kind, version, urgency, reason, bug)


def join(entries: Iterable[Entry], origin: str) -> tuple[list[DebianStatus], list[VulnRecord]]:
    """CVE entries + advisory entries -> per (CVE, source package, release) rows."""
    entries = list(entries)
    advisories = {e.id: e for e in entries if e.is_advisory}
    cves = {e.id: e for e in entries if not e.is_advisory}
    # (cve, pkg, release) -> (version key, version, advisory id)
    adv_fix: dict[tuple[str, str, str], tuple[DebVersion, str, str]] = {}

    def add_advisory(cve: str, adv: Entry) -> None:
        for line in adv.lines:
            if line.release is None or line.kind is not Kind.fixed or line.version is None:
                continue
            k = (cve, line.package, line.release)
            v = DebVersion(line.version) if line.version != "0" else DebVersion("0")
            if k not in adv_fix or v < adv_fix[k][0]:
                adv_fix[k] = (v, line.version, adv.id)

    for adv in advisories.values():
        for ref in adv.xrefs:
            if not ref.startswith(("DSA-", "DLA-")):
                add_advisory(ref, adv)
    for cve_entry in cves.values():
        for ref in cve_entry.xrefs:
            if ref in advisories and cve_entry.id not in advisories[ref].xrefs:
                add_advisory(cve_entry.id, advisories[ref])

    rows: list[DebianStatus] = []
    records: list[VulnRecord] = []
    seen: set[tuple[str, str, str]] = set()
    all_cves = set(cves) | {k[0] for k in adv_fix}
    for cve_id in sorted(all_cves):
        entry = cves.get(cve_id)
        sid_urgency: dict[str, str | None] = {}
        if entry is not None:
            for line in entry.lines:
                if line.release is None:
                    sid_urgency[line.package] = line.urgency
            for line in entry.lines:
                release = line.release or "sid"
                key = (cve_id, line.package, release)
                if key in seen:
                    continue
                seen.add(key)
                rows.append(
                    DebianStatus(
                        cve_id,
                        line.package,
                        release,
                        line.kind,
                        line.version,
                        line.urgency or sid_urgency.get(line.package),
                        line.reason,
                        origin,
                        line.bug,
                    )
                )
        aliases = set(entry.xrefs if entry else ())
        for (cve, pkg, release), (_, version, adv_id) in sorted(adv_fix.items()):
            if cve != cve_id:
                continue
            aliases.add(adv_id)
            if (cve, pkg, release) in seen:
                continue
            seen.add((cve, pkg, release))
            rows.append(
                DebianStatus(cve, pkg, release, Kind.fixed, version, sid_urgency.get(pkg), None, adv_id)
            )
        summary = entry.header if entry else ""
        records.append(VulnRecord(cve_id, tuple(sorted(aliases)), summary))
    return rows, records
