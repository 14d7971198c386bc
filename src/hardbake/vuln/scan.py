"""The scanner's Python API: `scan(target, db, ...) -> ScanReport`.

Match -> separate `fixed` (evidence) from reported findings -> apply VEX -> gate -> state
coverage and staleness. `hardbake scan IMAGE` is this plus an inventory (issue 7).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hardbake.errors import InputError
from hardbake.vuln import gate, vex
from hardbake.vuln.db import VulnDB
from hardbake.vuln.interface import Ecosystem, ScanTarget
from hardbake.vuln.match import Matcher
from hardbake.vuln.result import Coverage, Finding, ScanReport
from hardbake.vuln.severity import Severity
from hardbake.vuln.state import State
from hardbake.vuln.vex.interface import Statement

DEFAULT_MAX_AGE = timedelta(days=7)
_AGE_RE = re.compile(r"^(\d+)\s*([dhw])$")


def parse_age(text: str) -> timedelta:
    """`7d`, `48h`, `2w` -> timedelta (for `--max-age`-style options)."""
    m = _AGE_RE.match(text.strip())
    if not m:
        raise InputError(f"invalid age {text!r}", hint="use a number and a unit: 7d, 48h, 2w")
    n = int(m[1])
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "w": timedelta(weeks=n)}[m[2]]


def coverage(target: ScanTarget, db: VulnDB) -> tuple[Coverage, ...]:
    """Per ecosystem: covered (by which feeds, of which dates), not covered, or not inventoried."""
    srcs = db.sources()
    out = []
    for eco in Ecosystem:
        feeds = tuple(
            f"{s.feed} (data {s.data_date or 'date unknown'}, imported {s.imported_at.date().isoformat()})"
            for s in srcs
            if eco.value in s.covers and s.feed != "debian-changelog"
        )
        if eco not in target.ecosystems:
            status = "not inventoried"
        elif feeds:
            status = "covered"
        else:
            status = "not covered"
        out.append(Coverage(eco.value, status, feeds))
    return tuple(out)


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str], Finding] = {}
    for f in findings:
        seen.setdefault(f.key, f)
    return sorted(seen.values(), key=lambda f: (-f.severity.rank, f.id, f.package.key))


def scan(
    target: ScanTarget,
    db: VulnDB,
    *,
    vex_docs: Sequence[Path | Statement] = (),
    vex_trust: Iterable[str] = (),
    fail_on: Severity | None = None,
    ignore_states: Iterable[State] = (),
    unknown_as: Severity = Severity.medium,
    max_age: timedelta = DEFAULT_MAX_AGE,
    now: datetime | None = None,
) -> ScanReport:
    now = now or datetime.now(UTC)
    statements: list[Statement] = []
    names: list[str] = []
    for d in vex_docs:
        if isinstance(d, Statement):
            statements.append(d)
            names.append(d.document)
        else:
            statements.extend(vex.load(Path(d)))
            names.append(str(d))
    all_findings = _dedupe(Matcher(db).match(target))
    resolved = tuple(f for f in all_findings if f.state is State.fixed)
    reported = vex.apply.apply(
        [f for f in all_findings if f.state is not State.fixed], statements, target, vex_trust
    )
    warnings = list(db.stale(max_age, now))
    cov = coverage(target, db)
    warnings += [
        f"{c.ecosystem}: not covered by any feed in the DB" for c in cov if c.status == "not covered"
    ]
    if not any("kev" in s.covers for s in db.sources()):
        warnings.append("no CISA KEV catalog imported: known-exploited flags are unavailable")
    if any(p.ecosystem is Ecosystem.deb and not (p.distro or target.distro) for p in target.packages):
        warnings.append("deb packages without a distro were not matched (no os-release distro known)")
    return ScanReport(
        ref=target.ref,
        digest=target.digest,
        distro=target.distro,
        findings=tuple(reported),
        resolved=resolved,
        coverage=cov,
        gate=gate.evaluate(reported, fail_on, unknown_as, ignore_states),
        warnings=tuple(warnings),
        sources=tuple(s.to_json(now) for s in db.sources()),
        vex_documents=tuple(dict.fromkeys(names)),
        generated_at=now.isoformat(timespec="seconds"),
        packages=len(target.packages),
    )
