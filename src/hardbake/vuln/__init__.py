"""Vulnerability scanning that keeps Debian's triage: DB, feeds, matching, VEX, reports.

The public API the CLI (and `hardbake scan` / `hardbake vex` / `hardbake compare`) calls:

    from hardbake.vuln import (InstalledPackage, ScanTarget, VulnDB, scan, render,
                               produce_openvex, compare, Severity, State)

    with VulnDB.open() as db:                      # $HARDBAKE_CACHE/vuln/vuln.sqlite
        report = scan(target, db, vex_docs=[...], vex_trust=[...], fail_on=Severity.high)
    text = render(report, "sarif", RenderContext(target=target, db=db))
"""

from __future__ import annotations

from hardbake.vuln.db import VulnDB
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget
from hardbake.vuln.provenance import SourceInfo
from hardbake.vuln.report import RenderContext, render
from hardbake.vuln.report.compare import Comparison, compare
from hardbake.vuln.result import Coverage, Finding, GateResult, ScanReport, VexDecision
from hardbake.vuln.scan import DEFAULT_MAX_AGE, parse_age, scan
from hardbake.vuln.severity import Severity
from hardbake.vuln.state import State
from hardbake.vuln.vex.produce import produce_openvex

__all__ = [
    "DEFAULT_MAX_AGE",
    "Comparison",
    "Coverage",
    "Ecosystem",
    "Finding",
    "GateResult",
    "InstalledPackage",
    "RenderContext",
    "ScanReport",
    "ScanTarget",
    "Severity",
    "SourceInfo",
    "State",
    "VexDecision",
    "VulnDB",
    "compare",
    "parse_age",
    "produce_openvex",
    "render",
    "scan",
]
