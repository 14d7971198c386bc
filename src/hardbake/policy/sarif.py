"""SARIF 2.1.0 for GitHub code scanning.

GitHub reads: `runs[].tool.driver.rules[]` (id, shortDescription, fullDescription, help,
`properties.security-severity` as a string number and `properties.tags` including
"security"), `results[]` with ruleId, ruleIndex, level, message.text and one
physicalLocation whose artifactLocation.uri is relative to the repository root (uriBaseId
%SRCROOT%) and region.startLine >= 1; partialFingerprints keep alerts stable across runs.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from hardbake import __version__
from hardbake.policy.findings import CheckResult, Finding
from hardbake.policy.model import Severity
from hardbake.policy.rules import BY_ID

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "note",
    Severity.info: "note",
}
_SECURITY_SEVERITY = {
    Severity.critical: "9.5",
    Severity.high: "8.0",
    Severity.medium: "5.5",
    Severity.low: "3.0",
    Severity.info: "1.0",
}
_DOCS = "https://github.com/hardbake/hardbake/blob/main/docs/policy.md"


def _uri(file: str, root: Path) -> str:
    p = Path(file)
    try:
        rel = os.path.relpath(p.resolve(), root.resolve()) if p.is_absolute() or p.exists() else file
    except ValueError:
        rel = file
    return Path(rel).as_posix()


def _rule(rule_id: str, example: Finding) -> dict[str, Any]:
    rule = BY_ID.get(rule_id)
    title = rule.title if rule else example.title or rule_id
    fix = rule.fix if rule else example.fix
    sev = rule.production if rule else example.severity
    refs = rule.refs.as_list() if rule else []
    tags = ["security", rule.category if rule else "custom"]
    text = f"{title}. Fix: {fix}." + (f" References: {', '.join(refs)}." if refs else "")
    return {
        "id": rule_id,
        "name": rule.name if rule else rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": text},
        "help": {
            "text": text,
            "markdown": f"**{title}**\n\nFix: {fix}\n\n" + "".join(f"- {r}\n" for r in refs),
        },
        "helpUri": f"{_DOCS}#{rule_id.lower()}" if rule else _DOCS,
        "defaultConfiguration": {"level": _LEVEL[sev]},
        "properties": {"security-severity": _SECURITY_SEVERITY[sev], "tags": tags, "precision": "high"},
    }


def to_sarif(result: CheckResult, root: Path | None = None) -> dict[str, Any]:
    root = root or Path.cwd()
    ids: list[str] = []
    examples: dict[str, Finding] = {}
    for f in result.findings:
        if f.rule_id not in examples:
            ids.append(f.rule_id)
            examples[f.rule_id] = f
    index = {rid: i for i, rid in enumerate(ids)}
    results = []
    for f in result.findings:
        uri = _uri(f.file, root)
        fp = hashlib.sha256(f"{f.rule_id}\0{uri}\0{f.path}\0{f.container}\0{f.message}".encode()).hexdigest()
        msg = f"{f.message} [{f.workload}{'/' + f.container if f.container else ''}]. Fix: {f.fix}"
        results.append(
            {
                "ruleId": f.rule_id,
                "ruleIndex": index[f.rule_id],
                "level": _LEVEL[f.severity],
                "message": {"text": msg},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": max(1, f.line)},
                        },
                        **(
                            {"logicalLocations": [{"fullyQualifiedName": f.path, "kind": "element"}]}
                            if f.path
                            else {}
                        ),
                    }
                ],
                "partialFingerprints": {"hardbakeFinding/v1": fp},
                "properties": {"severity": f.severity.name, "profile": f.profile},
            }
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hardbake",
                        "informationUri": _DOCS,
                        "semanticVersion": __version__,
                        "version": __version__,
                        "rules": [_rule(rid, examples[rid]) for rid in ids],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }
