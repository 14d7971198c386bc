"""`--format cyclonedx`: a CycloneDX 1.6 BOM with `vulnerabilities`, built with cyclonedx-python-lib.

`analysis.state` is CycloneDX's enum, so each Debian state maps onto it and is also kept
verbatim (`analysis.detail` and the property `hardbake:debian:state`):

| hardbake state | analysis.state | analysis.response |
|---|---|---|
| fixed-available | exploitable | update |
| affected | exploitable | can_not_fix |
| no-dsa, postponed | exploitable | — (detail says no DSA / postponed) |
| ignored | exploitable | will_not_fix |
| end-of-life | exploitable | can_not_fix |
| unimportant | exploitable | will_not_fix |
| undetermined | in_triage | — |
| not-affected | not_affected | — |

A VEX statement that applied overrides it: not_affected -> not_affected (justification
mapped back from OpenVEX's), fixed -> resolved, under_investigation -> in_triage.
"""

from __future__ import annotations

from decimal import Decimal

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.impact_analysis import ImpactAnalysisJustification as J
from cyclonedx.model.impact_analysis import ImpactAnalysisResponse as R
from cyclonedx.model.impact_analysis import ImpactAnalysisState as S
from cyclonedx.model.vulnerability import (
    BomTarget,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from hardbake.vuln.report.interface import RenderContext
from hardbake.vuln.result import Finding, ScanReport
from hardbake.vuln.state import State
from hardbake.vuln.vex.produce import package_purl

_STATE: dict[State, tuple[S, list[R]]] = {
    State.fixed_available: (S.EXPLOITABLE, [R.UPDATE]),
    State.affected: (S.EXPLOITABLE, [R.CAN_NOT_FIX]),
    State.no_dsa: (S.EXPLOITABLE, []),
    State.postponed: (S.EXPLOITABLE, []),
    State.ignored: (S.EXPLOITABLE, [R.WILL_NOT_FIX]),
    State.end_of_life: (S.EXPLOITABLE, [R.CAN_NOT_FIX]),
    State.unimportant: (S.EXPLOITABLE, [R.WILL_NOT_FIX]),
    State.undetermined: (S.IN_TRIAGE, []),
    State.not_affected: (S.NOT_AFFECTED, []),
    State.fixed: (S.RESOLVED, []),
}
_VEX_STATE = {
    "not_affected": S.NOT_AFFECTED,
    "fixed": S.RESOLVED,
    "under_investigation": S.IN_TRIAGE,
    "affected": S.EXPLOITABLE,
}
_VEX_JUST = {
    "component_not_present": J.CODE_NOT_PRESENT,
    "vulnerable_code_not_present": J.CODE_NOT_PRESENT,
    "vulnerable_code_not_in_execute_path": J.CODE_NOT_REACHABLE,
    "vulnerable_code_cannot_be_controlled_by_adversary": J.REQUIRES_ENVIRONMENT,
    "inline_mitigations_already_exist": J.PROTECTED_BY_MITIGATING_CONTROL,
}
_SEV = {
    "critical": VulnerabilitySeverity.CRITICAL,
    "high": VulnerabilitySeverity.HIGH,
    "medium": VulnerabilitySeverity.MEDIUM,
    "low": VulnerabilitySeverity.LOW,
    "negligible": VulnerabilitySeverity.INFO,
    "unknown": VulnerabilitySeverity.UNKNOWN,
}


def _analysis(f: Finding) -> VulnerabilityAnalysis:
    detail = (
        f"Debian/feed state: {f.state.value}"
        + (f" ({f.reason})" if f.reason else "")
        + (f"; {f.note}" if f.note else "")
    )
    if f.vex is not None:
        v = f.vex
        return VulnerabilityAnalysis(
            state=_VEX_STATE[v.status],
            justification=_VEX_JUST.get(v.justification or ""),
            detail=f"VEX {v.status} by {v.author} ({v.document}); {detail}",
        )
    state, responses = _STATE[f.state]
    return VulnerabilityAnalysis(state=state, responses=responses or None, detail=detail)


def render(report: ScanReport, ctx: RenderContext) -> str:
    bom = Bom()
    refs: dict[str, str] = {}
    for f in report.findings:
        purl = package_purl(f.package)
        if purl not in refs:
            refs[purl] = purl
            bom.components.add(
                Component(
                    name=f.package.name,
                    version=f.package.version,
                    type=ComponentType.LIBRARY,
                    purl=PackageURL.from_string(purl),
                    bom_ref=purl,
                )
            )
        rating_kw: dict[str, object] = {"severity": _SEV[f.severity.value]}
        if f.severity_source.startswith("cvss "):
            parts = f.severity_source.split()
            rating_kw["score"] = Decimal(parts[1])
            vector = f.severity_source.partition("(")[2].rstrip(")")
            if vector:
                rating_kw["vector"] = vector
                rating_kw["method"] = (
                    VulnerabilityScoreSource.CVSS_V4
                    if vector.startswith("CVSS:4")
                    else VulnerabilityScoreSource.CVSS_V3_1
                    if vector.startswith("CVSS:3.1")
                    else VulnerabilityScoreSource.CVSS_V3
                    if vector.startswith("CVSS:3")
                    else VulnerabilityScoreSource.CVSS_V2
                )
        props = [
            Property(name="hardbake:debian:state", value=f.state.value),
            Property(name="hardbake:known_exploited", value=str(f.known_exploited).lower()),
        ]
        if f.fixed_version:
            props.append(Property(name="hardbake:fixed_version", value=f.fixed_version))
        bom.vulnerabilities.add(
            Vulnerability(
                bom_ref=f"{f.id}|{purl}",
                id=f.id,
                source=VulnerabilitySource(name=f.feed or "hardbake"),
                description=f.summary[:1000] or None,
                ratings=[VulnerabilityRating(**rating_kw)],  # type: ignore[arg-type]
                analysis=_analysis(f),
                affects=[BomTarget(ref=purl)],
                properties=props,
            )
        )
    return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"
