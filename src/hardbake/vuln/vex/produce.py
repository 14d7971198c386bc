"""OpenVEX v0.2.0 for a scanned image, built only from what the data supports.

Statements (one per vulnerability and status, the image as product, packages as
subcomponents):

- `fixed`: the installed version is at or above a fix — from the package's own
  `changelog.Debian` (origin `changelog`) or the tracker's fixed version for the release
  (a DSA/DLA or the release's line). The evidence is in `status_notes`.
- `not_affected` + `component_not_present`: only for source packages the caller names in
  `absent_sources` (e.g. what the standard image of the same family has and this one
  dropped) AND of which no binary package is in the target; every tracker CVE of such a
  source for the target's release (or sid) gets one. A present source is refused, never
  claimed absent.
- Debian's own `<not-affected>` (or `fixed_version 0`): `not_affected` with Debian's reason as
  the `impact_statement` — no justification is invented from free text.
- every other open state: `affected` (or `under_investigation` for `undetermined`), with
  the Debian triage (no-dsa and its reason, postponed, ignored, end-of-life, unimportant)
  carried in `status_notes` and what to do in `action_statement`.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from packageurl import PackageURL

from hardbake import __version__
from hardbake import distro as distros
from hardbake.vuln.db import VulnDB
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget
from hardbake.vuln.result import Finding, ScanReport
from hardbake.vuln.state import Kind, State

CONTEXT = "https://openvex.dev/ns/v0.2.0"


def package_purl(p: InstalledPackage) -> str:
    if p.purl:
        return p.purl
    q: dict[str, str] = {}
    if p.arch:
        q["arch"] = p.arch
    if p.distro:
        q["distro"] = p.distro
    if p.ecosystem is Ecosystem.deb:
        return PackageURL("deb", "debian", p.name, p.version, q or None).to_string()
    if p.ecosystem is Ecosystem.maven and ":" in p.name:
        g, a = p.name.split(":", 1)
        return PackageURL("maven", g, a, p.version).to_string()
    if p.ecosystem is Ecosystem.npm and p.name.startswith("@") and "/" in p.name:
        ns, n = p.name.split("/", 1)
        return PackageURL("npm", ns, n, p.version).to_string()
    return PackageURL(p.ecosystem.value, None, p.name, p.version).to_string()


def image_product(target: ScanTarget) -> str:
    if target.digest:
        name = (target.repository or "image").rsplit("/", 1)[-1]
        q = {"repository_url": target.repository} if target.repository else None
        return PackageURL("oci", None, name, target.digest, q).to_string()
    return target.ref


def _triage_note(f: Finding, release: str) -> str:
    note = f"Debian security tracker: {f.state.value} in {release}"
    if f.reason:
        note += f" ({f.reason})"
    if f.urgency:
        note += f"; urgency {f.urgency}"
    if f.note:
        note += f"; {f.note}"
    return note


def _statement_for(f: Finding, release: str) -> tuple[str, dict[str, Any]]:
    if f.state is State.fixed:
        ev = (
            f"changelog.Debian of {f.package.source} {f.fixed_version} names {f.id}"
            if f.origin == "changelog"
            else f"Debian security tracker: fixed in {release} at {f.fixed_version} ({f.origin})"
        )
        return "fixed", {"status_notes": ev}
    if f.state is State.not_affected:
        return "not_affected", {"impact_statement": _triage_note(f, release)}
    if f.state is State.undetermined:
        return "under_investigation", {"status_notes": _triage_note(f, release)}
    if f.fixed_version:
        action = f"Update {f.package.source or f.package.name} to {f.fixed_version} or later."
    else:
        action = "No fixed version is available for this release; remove the package if it is not needed."
    return "affected", {"status_notes": _triage_note(f, release), "action_statement": action}


def produce_openvex(
    report: ScanReport,
    target: ScanTarget,
    db: VulnDB | None = None,
    *,
    author: str = "hardbake",
    absent_sources: Iterable[str] = (),
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """An OpenVEX v0.2.0 document for `target` from its scan report (see module docstring)."""
    ts = (timestamp or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    release = distros.get(target.distro).codename if target.distro else "this release"
    groups: dict[tuple[str, str, str], tuple[dict[str, Any], list[str]]] = {}
    for f in (*report.findings, *report.resolved):
        if f.package.ecosystem is not Ecosystem.deb and f.state is State.fixed:
            continue
        status, fields = _statement_for(f, release)
        key = (f.id, status, json.dumps(fields, sort_keys=True))
        body = {
            "vulnerability": {"name": f.id, **({"aliases": list(f.aliases)} if f.aliases else {})},
            "status": status,
            **fields,
        }
        groups.setdefault(key, (body, []))[1].append(package_purl(f.package))
    present = {p.source for p in target.packages if p.ecosystem is Ecosystem.deb} | {
        p.name for p in target.packages if p.ecosystem is Ecosystem.deb
    }
    absent = sorted(set(absent_sources) - present)
    if absent and db is not None:
        absent_rows: dict[str, set[str]] = defaultdict(set)
        codename = distros.get(target.distro).codename if target.distro else None
        for vid, source, rel, kind in db.debian_vulns_for(absent):
            if rel in (codename, "sid") and kind != Kind.not_affected.value:
                absent_rows[vid].add(source)
        for vid, sources in sorted(absent_rows.items()):
            for s in sorted(sources):
                q = {"distro": target.distro} if target.distro else None
                body = {
                    "vulnerability": {"name": vid},
                    "status": "not_affected",
                    "justification": "component_not_present",
                    "impact_statement": f"No binary package of Debian source package {s} is in the image.",
                }
                groups[(vid, "absent", s)] = (body, [PackageURL("deb", "debian", s, None, q).to_string()])
    statements = []
    product = image_product(target)
    for body, purls in groups.values():
        statements.append(
            {
                **body,
                "timestamp": ts,
                "products": [{"@id": product, "subcomponents": [{"@id": p} for p in sorted(set(purls))]}],
            }
        )
    statements.sort(
        key=lambda s: (s["vulnerability"]["name"], s["status"], s["products"][0]["subcomponents"][0]["@id"])
    )
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "author": author,
        "role": "Document Creator",
        "timestamp": ts,
        "version": 1,
        "tooling": f"hardbake {__version__}",
        "statements": statements,
    }
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
    return {"@id": f"https://openvex.dev/docs/public/vex-{digest}", **doc}
