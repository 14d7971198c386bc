"""Findings and the result of a check: what is wrong, where, how bad, how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hardbake.policy.model import Severity


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    rule_id: str
    severity: Severity = field(compare=False)
    message: str = field(compare=False)
    fix: str = field(compare=False)
    path: str = field(default="", compare=False)
    workload: str = field(default="", compare=False)
    container: str = field(default="", compare=False)
    source: str = field(default="", compare=False)
    profile: str = field(default="", compare=False)
    title: str = field(default="", compare=False)
    refs: tuple[str, ...] = field(default=(), compare=False)
    namespace: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "title": self.title,
            "severity": self.severity.name,
            "message": self.message,
            "fix": self.fix,
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "workload": self.workload,
            "container": self.container,
            "namespace": self.namespace,
            "source": self.source,
            "profile": self.profile,
            "references": list(self.refs),
        }

    def short(self) -> str:
        """One line for a webhook warning or a log: `HB-FS-001 app: root filesystem is writable`."""
        who = f"{self.container}: " if self.container else ""
        return f"{self.rule_id} {who}{self.message}"


@dataclass(frozen=True)
class CheckResult:
    """Findings of a check plus what was looked at."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...] = ()
    workloads: int = 0
    containers: int = 0

    def at_or_above(self, threshold: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity >= threshold)

    def failed(self, fail_on: Severity) -> bool:
        return bool(self.at_or_above(fail_on))

    def to_json(self) -> dict[str, Any]:
        counts = {s.name: sum(1 for f in self.findings if f.severity == s) for s in Severity}
        return {
            "files": list(self.files),
            "workloads": self.workloads,
            "containers": self.containers,
            "counts": counts,
            "findings": [f.to_json() for f in self.findings],
        }
