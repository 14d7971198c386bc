"""Which vulnerabilities an image carries, which the archive now fixes, and which a rebuild fixed.

Two sources of truth, both local:

* the vulnerability DB (`hardbake.vuln`): the published image's packages and the candidate's
  packages are scanned; a finding open in the first and resolved in the second is fixed by
  a package the archive offers *now* — that is when hardbake's SLA clock starts;
* the changelogs of the new .debs (`/usr/share/doc/<pkg>/changelog.Debian.gz`): a CVE named
  in an entry above the published version and at most the new one is fixed by this upgrade,
  even before any feed knows it. The changelog is imported into the DB too
  (`VulnDB.import_changelog`), so later scans mark it fixed at that version.

For an image hardbake built, the packages come from its lock (those the build kept in the
image), so no image needs to be read back to be scanned.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hardbake.build.plan import ImageLock
from hardbake.debian.client import DebianClient
from hardbake.debian.deb import Deb
from hardbake.debian.lock import LockedPackage
from hardbake.debian.version import DebVersion
from hardbake.errors import Error
from hardbake.vuln import Ecosystem, InstalledPackage, ScanReport, ScanTarget, VulnDB, scan
from hardbake.vuln.feeds.changelog import parse_changelog
from hardbake.vuln.match import Matcher
from hardbake.vuln.state import State
from hardbake.watch.changes import PackageChange
from hardbake.watch.state import Observation

Key = tuple[str, str]  # (vulnerability id, source package)


def packages_in_image(lock: ImageLock, kept: Mapping[str, Sequence[str]] | None) -> list[dict[str, str]]:
    """The lock's packages the image holds (`kept`: per arch, the names the build kept; None:
    every package of the lock), as plain records for the state DB."""
    out: dict[tuple[str, str, str], dict[str, str]] = {}
    for arch, al in sorted(lock.arches.items()):
        names = set(kept[arch]) if kept is not None and arch in kept else None
        pkgs: list[LockedPackage] = list(al.packages)
        if lock.parent is not None and arch in lock.parent.arches:
            own = {p.name for p in pkgs}
            pkgs += [p for p in lock.parent.arches[arch].packages if p.name not in own]
        for p in pkgs:
            if names is not None and p.name not in names:
                continue
            out[(p.name, p.version, p.arch)] = {
                "name": p.name,
                "version": p.version,
                "source": p.source,
                "source_version": p.source_version,
                "arch": p.arch,
            }
    return [out[k] for k in sorted(out)]


def scan_packages(ref: str, distro: str, packages: Iterable[dict[str, str]], db: VulnDB) -> ScanReport:
    pkgs = tuple(
        InstalledPackage(
            Ecosystem.deb, p["name"], p["version"], p["source"], p["source_version"], distro, p["arch"]
        )
        for p in packages
    )
    return scan(ScanTarget(ref, pkgs, frozenset({Ecosystem.deb}), distro=distro), db)


def open_findings(report: ScanReport) -> dict[Key, tuple[str, str, bool, str | None]]:
    """(vuln, source) -> (state, severity, known exploited, fixed version) of every open finding."""
    out: dict[Key, tuple[str, str, bool, str | None]] = {}
    for f in report.findings:
        if not f.state.open or f.state is State.fixed:
            continue
        key = (f.id, f.package.source or f.package.name)
        out.setdefault(key, (f.state.value, f.severity.value, f.known_exploited, f.fixed_version))
    return out


def changelog_of(deb: Path, package: str) -> bytes | None:
    """The package's changelog.Debian.gz (or changelog.gz of a native package), decompressed."""
    wanted = {f"usr/share/doc/{package}/changelog.Debian.gz", f"usr/share/doc/{package}/changelog.gz"}
    with Deb(deb).data() as members:
        for info, stream in members:
            if stream is not None and info.name.lstrip("./") in wanted and info.size < (16 << 20):
                raw = stream.read()
                try:
                    return gzip.decompress(raw)
                except (OSError, EOFError):
                    return None
    return None


@dataclass(frozen=True)
class ChangelogFix:
    vuln: str
    source: str
    version: str  # the first version whose changelog names it


def fixed_between(text: bytes, old: str, new: str, origin: str) -> list[ChangelogFix]:
    """CVEs a changelog names in an entry above `old`, up to and including `new`."""
    try:
        fixes, _ = parse_changelog(text.decode("utf-8", "replace"), origin)
    except Error:
        return []
    lo, hi = DebVersion(old), DebVersion(new)
    return [ChangelogFix(f.vuln_id, f.source, f.version) for f in fixes if lo < DebVersion(f.version) <= hi]


def _lock_package(lock: ImageLock | None, change: PackageChange) -> LockedPackage | None:
    if lock is None:
        return None
    al = (lock.parent if change.base and lock.parent else lock).arches.get(change.arch)
    return al.package(change.name) if al is not None else None


def changelog_fixes(
    changes: Sequence[PackageChange],
    new: ImageLock,
    old: ImageLock | None,
    client: DebianClient,
    db: VulnDB,
) -> dict[Key, ChangelogFix]:
    """Fetch the upgraded packages' .debs, import their changelogs, return what they fix.

    A changelog speaks in source versions: an upgrade fixes what the entries above the old
    source version, up to the new one, name."""
    wanted: dict[tuple[str, str], tuple[LockedPackage, str]] = {}
    for c in changes:
        if c.kind != "upgraded":
            continue
        pkg, before = _lock_package(new, c), _lock_package(old, c)
        if pkg is None or before is None:
            continue
        # one changelog per source version (every binary of a source ships the same one)
        key = (pkg.source, pkg.source_version)
        if key not in wanted or DebVersion(before.source_version) < DebVersion(wanted[key][1]):
            wanted[key] = (pkg, before.source_version)
    if not wanted:
        return {}
    client.fetch([p for p, _ in wanted.values()])
    out: dict[Key, ChangelogFix] = {}
    for (source, source_version), (pkg, old_source_version) in sorted(wanted.items()):
        text = changelog_of(client.cache.path(pkg), pkg.name)
        if text is None:
            continue
        db.import_changelog(text, f"changelog:{source}_{source_version}")
        for fix in fixed_between(text, old_source_version, source_version, f"{pkg.name} changelog"):
            out.setdefault((fix.vuln, fix.source), fix)
    return out


def observations(
    published: ScanReport | None,
    candidate: ScanReport | None,
    from_changelogs: dict[Key, ChangelogFix],
    db: VulnDB,
) -> list[Observation]:
    """What the state DB records for a published image this run (see `StateDB.observe`)."""
    pub = open_findings(published) if published is not None else {}
    cand = open_findings(candidate) if candidate is not None else pub
    out = [
        Observation(vuln, src, sev, kev, state, fixed, (vuln, src) not in cand)
        for (vuln, src), (state, sev, kev, fixed) in sorted(pub.items())
    ]
    matcher = Matcher(db)
    for (vuln, src), fix in sorted(from_changelogs.items()):
        if (vuln, src) in pub:
            continue
        _, sev, _, _, kev = matcher.describe(vuln)
        out.append(Observation(vuln, src, sev.value, kev, "fixed-available", fix.version, True, "changelog"))
    return out
