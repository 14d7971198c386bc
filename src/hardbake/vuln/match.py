"""Matching installed packages against the DB: Debian by source package, languages by their rules.

Debian (`deb`): the tracker's rows for the package's *source* package decide, per CVE:

1. changelog evidence: if the installed source version is at or above a version whose
   changelog entry names the CVE, the state is `fixed` (origin `changelog`), whatever else;
2. the release's own row (its `[bookworm]` line, a DSA/DLA joined to it, or the JSON
   export's per-release object);
3. otherwise the sid row, inherited: fixed if the installed version >= sid's fix, else
   `affected` with a note that only unstable has the fix.

Row kinds become states: fixed `0` -> not-affected; fixed V -> fixed (installed >= V) or
fixed-available; unfixed -> affected (unimportant when the urgency is unimportant);
no-dsa/postponed/ignored/end-of-life/not-affected/undetermined -> the same-named state (a
no-dsa CVE whose sid fix the installed version already contains is `fixed`); `<removed>`
-> affected (no Debian fix will come). Debian OSV records (`Debian:12`) are matched too,
but only for CVEs the tracker data did not already decide.

Languages: the feed's ranges by the ecosystem's ordering (`hardbake.vuln.ranges`); a match
is fixed-available when the data names a fixed version above the installed one, else
affected.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hardbake import distro as distros
from hardbake.debian.version import DebVersion
from hardbake.errors import InputError
from hardbake.vuln import ranges as range_eval
from hardbake.vuln.db import VulnDB
from hardbake.vuln.feeds.osv import normalise_name
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget
from hardbake.vuln.result import Finding
from hardbake.vuln.severity import Severity, from_score, from_urgency
from hardbake.vuln.state import Kind, State

_KIND_STATE = {
    Kind.no_dsa: State.no_dsa,
    Kind.postponed: State.postponed,
    Kind.ignored: State.ignored,
    Kind.end_of_life: State.end_of_life,
    Kind.not_affected: State.not_affected,
    Kind.undetermined: State.undetermined,
}


@dataclass(frozen=True)
class Verdict:
    """The Debian decision for one CVE and one installed source version."""

    state: State
    fixed_version: str | None
    urgency: str | None
    reason: str | None
    origin: str
    note: str | None = None


@lru_cache(maxsize=16384)
def _deb(text: str) -> DebVersion | None:
    try:
        return DebVersion(text)
    except InputError:
        return None


def _ge(a: str, b: str) -> bool:
    va, vb = _deb(a), _deb(b)
    return va is not None and vb is not None and va >= vb


def debian_verdict(
    installed: str,
    own: tuple[Any, ...] | None,
    sid: tuple[Any, ...] | None,
    changelog_fix: str | None,
    release: str,
) -> Verdict | None:
    """Decide one CVE for one source version. Rows are (kind, fixed_version, urgency, reason, origin)."""
    urgency = (own[2] if own else None) or (sid[2] if sid else None)
    if changelog_fix is not None and _ge(installed, changelog_fix):
        return Verdict(State.fixed, changelog_fix, urgency, None, "changelog")
    row = own or sid
    if row is None:
        return None
    kind, fixed, _, reason, origin = Kind(row[0]), row[1], row[2], row[3], row[4]
    inherited = own is None
    sid_fix = sid[1] if sid and Kind(sid[0]) is Kind.fixed and sid[1] not in (None, "0") else None
    if kind is Kind.fixed:
        if fixed == "0":
            return Verdict(
                State.not_affected, None, urgency, reason, origin, "fixed_version 0: never affected"
            )
        if _ge(installed, fixed):
            return Verdict(State.fixed, fixed, urgency, None, origin)
        if inherited:
            note = f"fixed in unstable at {fixed}; {release} has no fix of its own yet"
            state = State.unimportant if from_urgency(urgency) is Severity.negligible else State.affected
            return Verdict(state, None, urgency, reason, origin, note)
        return Verdict(State.fixed_available, fixed, urgency, reason, origin)
    if sid_fix and _ge(installed, sid_fix):
        # the release's triage predates a version that already carries the unstable fix
        return Verdict(
            State.fixed, sid_fix, urgency, None, origin, "installed version includes the unstable fix"
        )
    if kind in (Kind.unfixed, Kind.removed, Kind.itp):
        state = State.unimportant if from_urgency(urgency) is Severity.negligible else State.affected
        removed = "package removed from unstable; no Debian fix will come"
        return Verdict(state, None, urgency, reason, origin, removed if kind is Kind.removed else None)
    return Verdict(_KIND_STATE[kind], None, urgency, reason, origin)


class Matcher:
    """Matches packages against one open DB; caches per-source and per-vulnerability lookups."""

    def __init__(self, db: VulnDB) -> None:
        self.db = db
        self._sev: dict[str, tuple[tuple[str, ...], Severity, str, str, bool]] = {}
        self._deb: dict[tuple[str, str, str], list[tuple[str, Verdict]]] = {}

    # -- severity, aliases, KEV ----------------------------------------------------------

    def describe(
        self, vid: str, extra_aliases: Iterable[str] = (), urgency: str | None = None
    ) -> tuple[tuple[str, ...], Severity, str, str, bool]:
        """(aliases, severity, severity source, summary, known exploited) for a vulnerability."""
        ck = f"{vid}|{urgency}"
        if ck in self._sev:
            return self._sev[ck]
        aliases = (self.db.aliases_of(vid) | set(extra_aliases)) - {vid}
        rows = self.db.vuln_rows([vid, *sorted(aliases)])
        rows.sort(key=lambda r: (r[0] != vid, r[0]))
        summary = next((r[1] for r in rows if r[1]), "")
        sev, source = Severity.unknown, "none"
        scored = next((r for r in rows if r[3] is not None), None)
        # a vendor's label rates its own product: only the finding's own record's counts
        vendor = next((r for r in rows if r[4] and r[0] == vid), None)
        if scored is not None:
            sev, source = (
                from_score(float(scored[3])),
                f"cvss {scored[3]}" + (f" ({scored[2]})" if scored[2] else ""),
            )
        elif vendor is not None:
            with contextlib.suppress(InputError):
                sev, source = Severity.parse(vendor[4]), f"vendor {vendor[4]}"
        if source == "none" and urgency:
            sev = from_urgency(urgency)
            source = f"debian urgency {urgency}" if sev is not Severity.unknown else "none"
        kev = self.db.known_exploited([vid, *aliases])
        out = (tuple(sorted(aliases)), sev, source, summary, kev)
        self._sev[ck] = out
        return out

    def _finding(
        self,
        vid: str,
        pkg: InstalledPackage,
        state: State,
        fixed: str | None,
        *,
        feed: str,
        origin: str,
        reason: str | None = None,
        urgency: str | None = None,
        note: str | None = None,
        aliases: Iterable[str] = (),
    ) -> Finding:
        al, sev, src, summary, kev = self.describe(vid, aliases, urgency)
        return Finding(
            vid, al, pkg, state, sev, src, fixed, reason, urgency, kev, feed, origin, summary, note
        )

    # -- Debian ---------------------------------------------------------------------------

    def _debian_verdicts(self, source: str, version: str, release: str) -> list[tuple[str, Verdict]]:
        k = (source, version, release)
        if k in self._deb:
            return self._deb[k]
        per_vuln: dict[str, dict[str, tuple[Any, ...]]] = defaultdict(dict)
        for vid, rel, kind, fixed, urgency, reason, origin, imported_at in self.db.debian_rows(source):
            if rel not in (release, "sid"):
                continue
            row = (kind, fixed, urgency, reason, origin, imported_at)
            cur = per_vuln[vid].get(rel)
            if cur is None or imported_at > cur[5]:
                per_vuln[vid][rel] = row
        fixes = self.db.changelog_fixes(source)
        out = []
        for vid in sorted(set(per_vuln) | set(fixes)):
            rows = per_vuln.get(vid, {})
            v = debian_verdict(version, rows.get(release), rows.get("sid"), fixes.get(vid), release)
            if v is not None:
                out.append((vid, v))
        self._deb[k] = out
        return out

    def match_deb(self, pkg: InstalledPackage, distro: str | None) -> list[Finding]:
        d = pkg.distro or distro
        if d is None or pkg.source is None or pkg.source_version is None:
            return []
        release = distros.get(d).codename
        found = []
        decided: set[str] = set()
        for vid, v in self._debian_verdicts(pkg.source, pkg.source_version, release):
            decided.add(vid)
            found.append(
                self._finding(
                    vid,
                    pkg,
                    v.state,
                    v.fixed_version,
                    feed="debian-tracker",
                    origin=v.origin,
                    reason=v.reason,
                    urgency=v.urgency,
                    note=v.note,
                )
            )
        for vid, row_distro, ranges_s, versions_s in self.db.affected_rows("deb", pkg.source):
            if row_distro != d:
                continue
            aliases, *_ = self.describe(vid)
            if vid in decided or decided.intersection(aliases):
                continue
            found.extend(
                self._range_finding(vid, pkg, Ecosystem.deb, pkg.source_version, ranges_s, versions_s)
            )
        return found

    # -- languages ------------------------------------------------------------------------

    def _range_finding(
        self, vid: str, pkg: InstalledPackage, eco: Ecosystem, version: str, ranges_s: str, versions_s: str
    ) -> list[Finding]:
        ranges, versions = json.loads(ranges_s), json.loads(versions_s)
        if not range_eval.is_affected(eco, version, ranges, versions):
            return []
        fixed = range_eval.fixed_version(eco, version, ranges)
        state = State.fixed_available if fixed else State.affected
        return [
            self._finding(
                vid,
                pkg,
                state,
                fixed,
                feed="osv" if not vid.startswith("NSWG") else "nodejs-security-wg",
                origin=vid,
            )
        ]

    def match_language(self, pkg: InstalledPackage) -> list[Finding]:
        name = normalise_name(pkg.ecosystem, pkg.name)
        found: list[Finding] = []
        seen: set[str] = set()
        rows = sorted(self.db.affected_rows(pkg.ecosystem.value, name), key=lambda r: str(r[0]))
        for vid, _distro, ranges_s, versions_s in rows:
            for f in self._range_finding(vid, pkg, pkg.ecosystem, pkg.version, ranges_s, versions_s):
                # one vulnerability published by two databases (PYSEC and GHSA, both naming
                # the CVE) is one finding
                if f.id in seen or seen.intersection(f.aliases):
                    continue
                seen.update((f.id, *f.aliases))
                found.append(f)
        return found

    def match(self, target: ScanTarget) -> list[Finding]:
        out: list[Finding] = []
        for pkg in target.packages:
            if pkg.ecosystem is Ecosystem.deb:
                out.extend(self.match_deb(pkg, target.distro))
            elif pkg.ecosystem is not Ecosystem.apk:
                out.extend(self.match_language(pkg))
        return out


def match(target: ScanTarget, db: VulnDB) -> list[Finding]:
    """Every finding for `target`, including `fixed` ones (the caller separates them)."""
    return Matcher(db).match(target)
