"""`--format table`: what a person reads — DB freshness, coverage, findings, the gate."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.table import Table

from hardbake.vuln.report.interface import RenderContext
from hardbake.vuln.result import Finding, ScanReport

_SEV_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "negligible": "dim",
    "unknown": "magenta",
}


def _state(f: Finding) -> str:
    s = f.state.value
    if f.reason:
        s += f" ({f.reason})"
    if f.vex:
        s += f"\nVEX {f.vex.status}" + (f" [{f.vex.justification}]" if f.vex.justification else "")
        s += f" by {f.vex.author or '?'}" + (" (trusted)" if f.vex.trusted else "")
    return s


def render(report: ScanReport, ctx: RenderContext) -> str:
    buf = io.StringIO()
    c = Console(file=buf, width=160, force_terminal=False, color_system=None)
    c.print(
        f"[bold]{report.ref}[/]"
        + (f"  {report.digest}" if report.digest else "")
        + (f"  {report.distro}" if report.distro else "")
        + f"  {report.packages} packages"
    )
    for w in report.warnings:
        c.print(f"warning: {w}")
    cov = Table(title="Coverage", show_lines=False)
    for col in ("ecosystem", "status", "feeds"):
        cov.add_column(col)
    for cv in report.coverage:
        if cv.status != "not inventoried" or cv.feeds:
            cov.add_row(cv.ecosystem, cv.status, "\n".join(cv.feeds) or "-")
    c.print(cov)
    t = Table(title=f"Findings ({len(report.findings)})", show_lines=False)
    for col in ("vulnerability", "package", "installed", "fixed", "state", "severity", "KEV", "layer"):
        t.add_column(col)
    for f in report.findings:
        layer = (
            str(f.package.layer_index)
            if f.package.layer_index is not None
            else ((f.package.layer_digest or "")[7:19] or "-")
        )
        t.add_row(
            f.id,
            f.package.name,
            f.package.version,
            f.fixed_version or "-",
            _state(f),
            f"[{_SEV_STYLE[f.severity.value]}]{f.severity.value}[/]",
            "yes" if f.known_exploited else "",
            layer,
        )
    c.print(t)
    states = Counter(f.state.value for f in report.findings)
    c.print("by state: " + (", ".join(f"{k} {v}" for k, v in sorted(states.items())) or "none"))
    g = report.gate
    if g.fail_on is not None:
        verdict = f"FAILED: {len(g.failing)} finding(s)" if g.failed else "passed"
        c.print(
            f"gate --fail-on {g.fail_on.value} (unknown as {g.unknown_as.value}"
            + (f", ignoring {', '.join(sorted(s.value for s in g.ignore_states))}" if g.ignore_states else "")
            + f"): {verdict}"
        )
    return buf.getvalue()
