"""What a scan produces: findings, coverage, the gate's verdict, and the report that holds them.

Every value is frozen; `to_json()` gives the stable document the `json` report prints and
`hardbake compare` reads back (`ScanReport.from_json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from hardbake.vuln.interface import Ecosystem, InstalledPackage
from hardbake.vuln.severity import Severity
from hardbake.vuln.state import State


@dataclass(frozen=True)
class VexDecision:
    """The VEX statement that applied to a finding, and the ones it outranked."""

    status: str  # not_affected | affected | fixed | under_investigation
    justification: str | None
    impact_statement: str | None
    author: str
    trusted: bool
    timestamp: str
    document: str
    statement_id: str | None
    overridden: tuple[str, ...] = ()  # "author status timestamp (document)" of losing statements

    @property
    def suppresses(self) -> bool:
        """Does this statement take the finding out of the gate (not_affected or fixed)?"""
        return self.status in ("not_affected", "fixed")

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "justification": self.justification,
            "impact_statement": self.impact_statement,
            "author": self.author,
            "trusted": self.trusted,
            "timestamp": self.timestamp,
            "document": self.document,
            "statement_id": self.statement_id,
            "overridden": list(self.overridden),
        }


@dataclass(frozen=True)
class Finding:
    id: str
    aliases: tuple[str, ...]
    package: InstalledPackage
    state: State
    severity: Severity
    severity_source: str  # "cvss 7.5 (CVSS:3.1/...)", "vendor high", "urgency low", "none"
    fixed_version: str | None = None
    reason: str | None = None  # Debian's reason (no-dsa "Minor issue", not-affected notes)
    urgency: str | None = None
    known_exploited: bool = False
    feed: str = ""
    origin: str = ""  # DSA-5514-1, CVE/list, changelog, an OSV id
    summary: str = ""
    note: str | None = None  # e.g. "fixed in unstable at 2.37-12, not in bookworm"
    vex: VexDecision | None = None

    @property
    def cves(self) -> tuple[str, ...]:
        return tuple(sorted({i for i in (self.id, *self.aliases) if i.startswith("CVE-")}))

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.package.key)

    def with_vex(self, vex: VexDecision | None) -> Finding:
        return replace(self, vex=vex)

    def to_json(self) -> dict[str, Any]:
        p = self.package
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "state": self.state.value,
            "severity": self.severity.value,
            "severity_source": self.severity_source,
            "fixed_version": self.fixed_version,
            "reason": self.reason,
            "urgency": self.urgency,
            "known_exploited": self.known_exploited,
            "feed": self.feed,
            "origin": self.origin,
            "summary": self.summary,
            "note": self.note,
            "package": {
                "ecosystem": p.ecosystem.value,
                "name": p.name,
                "version": p.version,
                "source": p.source,
                "source_version": p.source_version,
                "distro": p.distro,
                "arch": p.arch,
                "purl": p.purl,
                "layer_digest": p.layer_digest,
                "layer_index": p.layer_index,
                "path": p.path,
            },
            "vex": self.vex.to_json() if self.vex else None,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Finding:
        p = d["package"]
        pkg = InstalledPackage(
            Ecosystem(p["ecosystem"]),
            p["name"],
            p["version"],
            p.get("source"),
            p.get("source_version"),
            p.get("distro"),
            p.get("arch"),
            p.get("purl"),
            p.get("layer_digest"),
            p.get("layer_index"),
            p.get("path"),
        )
        vex = (
            VexDecision(**{**d["vex"], "overridden": tuple(d["vex"]["overridden"])}) if d.get("vex") else None
        )
        return cls(
            d["id"],
            tuple(d["aliases"]),
            pkg,
            State(d["state"]),
            Severity(d["severity"]),
            d["severity_source"],
            d.get("fixed_version"),
            d.get("reason"),
            d.get("urgency"),
            d.get("known_exploited", False),
            d.get("feed", ""),
            d.get("origin", ""),
            d.get("summary", ""),
            d.get("note"),
            vex,
        )


@dataclass(frozen=True)
class Coverage:
    ecosystem: str
    status: str  # covered | not covered | not inventoried
    feeds: tuple[str, ...] = ()  # "feed (data date ..., imported ...)"

    def to_json(self) -> dict[str, Any]:
        return {"ecosystem": self.ecosystem, "status": self.status, "feeds": list(self.feeds)}


@dataclass(frozen=True)
class GateResult:
    fail_on: Severity | None
    unknown_as: Severity
    ignore_states: frozenset[State]
    failing: tuple[Finding, ...] = ()

    @property
    def failed(self) -> bool:
        return bool(self.failing)

    def to_json(self) -> dict[str, Any]:
        return {
            "fail_on": self.fail_on.value if self.fail_on else None,
            "unknown_as": self.unknown_as.value,
            "ignore_states": sorted(s.value for s in self.ignore_states),
            "failed": self.failed,
            "failing": [{"id": f.id, "package": f.package.key} for f in self.failing],
        }


@dataclass(frozen=True)
class ScanReport:
    ref: str
    digest: str | None
    distro: str | None
    findings: tuple[Finding, ...]
    resolved: tuple[Finding, ...]  # state `fixed`: kept as evidence (VEX `fixed`), not reported as open
    coverage: tuple[Coverage, ...]
    gate: GateResult
    warnings: tuple[str, ...] = ()
    sources: tuple[dict[str, Any], ...] = ()
    vex_documents: tuple[str, ...] = ()
    generated_at: str = ""
    packages: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "hardbake-scan/1",
            "ref": self.ref,
            "digest": self.digest,
            "distro": self.distro,
            "generated_at": self.generated_at,
            "packages": self.packages,
            "findings": [f.to_json() for f in self.findings],
            "resolved": [f.to_json() for f in self.resolved],
            "coverage": [c.to_json() for c in self.coverage],
            "gate": self.gate.to_json(),
            "warnings": list(self.warnings),
            "db_sources": list(self.sources),
            "vex_documents": list(self.vex_documents),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ScanReport:
        from hardbake.errors import InputError

        if d.get("schema") != "hardbake-scan/1":
            raise InputError(
                "not a hardbake scan report (schema hardbake-scan/1)", hint="use `scan --format json`"
            )
        findings = tuple(Finding.from_json(f) for f in d["findings"])
        g = d["gate"]
        gate = GateResult(
            Severity(g["fail_on"]) if g.get("fail_on") else None,
            Severity(g["unknown_as"]),
            frozenset(State(s) for s in g["ignore_states"]),
            tuple(f for f in findings if {"id": f.id, "package": f.package.key} in g["failing"]),
        )
        return cls(
            d["ref"],
            d.get("digest"),
            d.get("distro"),
            findings,
            tuple(Finding.from_json(f) for f in d.get("resolved", [])),
            tuple(Coverage(c["ecosystem"], c["status"], tuple(c["feeds"])) for c in d["coverage"]),
            gate,
            tuple(d.get("warnings", [])),
            tuple(d.get("db_sources", [])),
            tuple(d.get("vex_documents", [])),
            d.get("generated_at", ""),
            d.get("packages", 0),
        )

    def at_or_above(self, sev: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity >= sev]

    def timestamp(self) -> datetime | None:
        return datetime.fromisoformat(self.generated_at) if self.generated_at else None
