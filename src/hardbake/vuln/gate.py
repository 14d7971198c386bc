"""The CI gate: does any finding at or above `fail_on` remain after VEX and ignored states?

A finding counts when all hold:
- its state is open (not `fixed`, not `not-affected`);
- no applied VEX statement says `not_affected` or `fixed` (Grype's issue #1639 was a gate
  that ignored VEX; this one does not);
- its state is not in `ignore_states` — unless a VEX statement says `affected`, which is an
  explicit claim and outranks a blanket ignore;
- its severity, with `unknown` read as `unknown_as` (default medium, never silently low),
  is at or above `fail_on`.
"""

from __future__ import annotations

from collections.abc import Iterable

from hardbake.vuln.result import Finding, GateResult
from hardbake.vuln.severity import Severity
from hardbake.vuln.state import State


def effective_severity(f: Finding, unknown_as: Severity) -> Severity:
    return unknown_as if f.severity is Severity.unknown else f.severity


def counts(f: Finding, fail_on: Severity, unknown_as: Severity, ignore_states: frozenset[State]) -> bool:
    if not f.state.open:
        return False
    if f.vex is not None and f.vex.suppresses:
        return False
    vex_affected = f.vex is not None and f.vex.status == "affected"
    if f.state in ignore_states and not vex_affected:
        return False
    return effective_severity(f, unknown_as) >= fail_on


def evaluate(
    findings: Iterable[Finding],
    fail_on: Severity | None,
    unknown_as: Severity = Severity.medium,
    ignore_states: Iterable[State] = (),
) -> GateResult:
    ignored = frozenset(State(s) for s in ignore_states)
    failing = () if fail_on is None else tuple(f for f in findings if counts(f, fail_on, unknown_as, ignored))
    return GateResult(fail_on, unknown_as, ignored, failing)
