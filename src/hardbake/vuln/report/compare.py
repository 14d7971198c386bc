"""Before/after comparison of two scans (for `hardbake compare IMAGE_A IMAGE_B`).

A vulnerability is counted once per scan under its CVE id when it has one (else its own
id), at the highest severity any of its findings has, and under every state it appears in.
Findings a VEX statement marks not_affected/fixed are counted apart (`vex-suppressed`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from hardbake.vuln.result import Finding, ScanReport
from hardbake.vuln.severity import Severity


def vuln_key(f: Finding) -> str:
    return f.cves[0] if f.cves else f.id


@dataclass(frozen=True)
class VulnSummary:
    id: str
    severity: Severity
    states: tuple[str, ...]
    packages: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.value,
            "states": list(self.states),
            "packages": list(self.packages),
        }


def summarise(report: ScanReport) -> dict[str, VulnSummary]:
    sev: dict[str, Severity] = {}
    states: dict[str, set[str]] = defaultdict(set)
    pkgs: dict[str, set[str]] = defaultdict(set)
    for f in report.findings:
        k = vuln_key(f)
        sev[k] = max(sev.get(k, Severity.unknown), f.severity)
        states[k].add("vex-suppressed" if f.vex and f.vex.suppresses else f.state.value)
        pkgs[k].add(f.package.key)
    return {k: VulnSummary(k, sev[k], tuple(sorted(states[k])), tuple(sorted(pkgs[k]))) for k in sev}


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    by_severity: dict[str, tuple[int, int]]
    by_state: dict[str, tuple[int, int]]
    only_in_a: tuple[VulnSummary, ...]
    only_in_b: tuple[VulnSummary, ...]
    in_both: int

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "by_severity": {k: {"a": x, "b": y} for k, (x, y) in self.by_severity.items()},
            "by_state": {k: {"a": x, "b": y} for k, (x, y) in self.by_state.items()},
            "only_in_a": [v.to_json() for v in self.only_in_a],
            "only_in_b": [v.to_json() for v in self.only_in_b],
            "in_both": self.in_both,
        }


def compare(scan_a: ScanReport, scan_b: ScanReport) -> Comparison:
    a, b = summarise(scan_a), summarise(scan_b)
    by_sev = {
        s.value: (sum(v.severity is s for v in a.values()), sum(v.severity is s for v in b.values()))
        for s in sorted(Severity, reverse=True)
    }
    all_states = sorted({st for v in (*a.values(), *b.values()) for st in v.states})
    by_state = {
        st: (sum(st in v.states for v in a.values()), sum(st in v.states for v in b.values()))
        for st in all_states
    }

    def order(v: VulnSummary) -> tuple[int, str]:
        return (-v.severity.rank, v.id)

    return Comparison(
        scan_a.ref,
        scan_b.ref,
        by_sev,
        by_state,
        tuple(sorted((a[k] for k in a.keys() - b.keys()), key=order)),
        tuple(sorted((b[k] for k in b.keys() - a.keys()), key=order)),
        len(a.keys() & b.keys()),
    )
