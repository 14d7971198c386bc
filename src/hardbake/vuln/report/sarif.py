"""`--format sarif`: SARIF 2.1.0, one rule per vulnerability, one result per finding.

The Debian state (and its reason, urgency, fixed version, known-exploited flag) is carried
in each result's `properties` (`debianState`, ...), never folded into the level. Level:
critical/high -> error, medium -> warning, other -> note; `unknown` severity -> warning
(the gate's reading). A finding VEX marks not_affected/fixed gets an external suppression
naming the statement. Rules carry `security-severity` only when a CVSS score exists.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hardbake import __version__
from hardbake.vuln.report.interface import RenderContext
from hardbake.vuln.result import Finding, ScanReport
from hardbake.vuln.vex.produce import package_purl

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "unknown": "warning"}
_SCORE = re.compile(r"^cvss (\d+(?:\.\d+)?)")


def _rule(f: Finding) -> dict[str, Any]:
    props: dict[str, Any] = {"tags": ["security", "vulnerability"], "severity": f.severity.value}
    m = _SCORE.match(f.severity_source)
    if m:
        props["security-severity"] = m[1]
    return {
        "id": f.id,
        "name": f.id,
        "shortDescription": {"text": f.summary[:200] or f.id},
        "helpUri": f"https://osv.dev/vulnerability/{f.id}",
        "properties": props,
    }


def _result(f: Finding, report: ScanReport) -> dict[str, Any]:
    p = f.package
    text = f"{p.name} {p.version} is {f.state.value} for {f.id}" + (
        f"; fixed in {f.fixed_version}" if f.fixed_version else ""
    )
    r: dict[str, Any] = {
        "ruleId": f.id,
        "level": _LEVEL.get(f.severity.value, "note"),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": p.path or report.ref}},
                "logicalLocations": [{"name": package_purl(p), "kind": "package"}],
            }
        ],
        "properties": {
            "debianState": f.state.value,
            "reason": f.reason,
            "urgency": f.urgency,
            "fixedVersion": f.fixed_version,
            "knownExploited": f.known_exploited,
            "severity": f.severity.value,
            "severitySource": f.severity_source,
            "aliases": list(f.aliases),
            "feed": f.feed,
            "origin": f.origin,
            "layerDigest": p.layer_digest,
            "installedVersion": p.version,
            "sourcePackage": p.source,
        },
    }
    if f.vex is not None:
        r["properties"]["vex"] = f.vex.to_json()
        if f.vex.suppresses:
            r["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"VEX {f.vex.status} by {f.vex.author}"
                    + (f" ({f.vex.justification})" if f.vex.justification else "")
                    + f" in {f.vex.document}",
                }
            ]
    return r


def render(report: ScanReport, ctx: RenderContext) -> str:
    rules: dict[str, dict[str, Any]] = {}
    for f in report.findings:
        rules.setdefault(f.id, _rule(f))
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hardbake",
                        "version": __version__,
                        "informationUri": "https://github.com/hardbake/hardbake",
                        "rules": list(rules.values()),
                    }
                },
                "results": [_result(f, report) for f in report.findings],
                "properties": {
                    "target": report.ref,
                    "digest": report.digest,
                    "distro": report.distro,
                    "coverage": [c.to_json() for c in report.coverage],
                    "warnings": list(report.warnings),
                },
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
