"""SLA tracking: for each vulnerability of a published image, how long it has been fixable.

hardbake's clock starts when a fixed package is in the archive (`fix_available_at`, set by
the watch loop), and stops when a rebuilt image without the vulnerability is published
(`fixed_published_at`). The limit depends on severity, and known exploitation (the CISA KEV
flag in the vulnerability DB) overrides it. Vulnerabilities Debian has no fix for (unfixed,
no-dsa, postponed, ignored, end-of-life, undetermined — or a fix announced but not yet in the
archive) are upstream's: reported apart, with their age since hardbake first saw them.

Default policy — the numbers of Docker Hardened Images' published commitment:
critical and high 7 days, every other severity 30 days, known exploited 1 day; a warning
when a quarter of the limit (or `warn-before`) remains.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hardbake.errors import InputError
from hardbake.watch.duration import format_duration, positive_duration
from hardbake.watch.state import VulnRow

SEVERITIES = ("critical", "high", "medium", "low", "negligible", "unknown")


def _limits() -> dict[str, str]:
    return {
        "critical": "7d",
        "high": "7d",
        "medium": "30d",
        "low": "30d",
        "negligible": "30d",
        "unknown": "30d",
    }


class Policy(BaseModel):
    """Time allowed from "a fix is in the archive" to "a fixed image is published"."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    limits: dict[str, str] = Field(default_factory=_limits, description="Severity -> duration (7d, 36h).")
    known_exploited: str = Field(default="1d", alias="known-exploited", description="Limit for KEV entries.")
    warn_before: str = Field(
        default="25%",
        alias="warn-before",
        description="Warn when this much time (or % of the limit) remains.",
    )

    @field_validator("limits")
    @classmethod
    def _check_limits(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(SEVERITIES))
        if unknown:
            raise ValueError(f"unknown severities {unknown}; use {', '.join(SEVERITIES)}")
        for sev, text in v.items():
            positive_duration(text, what=f"limits.{sev}")
        return {**_limits(), **v}

    @field_validator("known_exploited")
    @classmethod
    def _check_kev(cls, v: str) -> str:
        positive_duration(v, what="known-exploited")
        return v

    @field_validator("warn_before")
    @classmethod
    def _check_warn(cls, v: str) -> str:
        if v.strip().endswith("%"):
            pct = float(v.strip()[:-1])
            if not 0 <= pct < 100:
                raise ValueError("a percentage must be between 0 and 100")
        else:
            positive_duration(v, what="warn-before")
        return v

    @classmethod
    def load(cls, path: Path) -> Policy:
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except OSError as e:
            raise InputError(f"cannot read SLA policy {path}: {e.strerror}") from e
        except yaml.YAMLError as e:
            raise InputError(f"{path}: not YAML/JSON: {e}") from e
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise InputError(
                f"{path}: {where}: {first['msg']}", hint="see docs/patching.md (SLA policy)"
            ) from e

    def limit(self, severity: str, kev: bool) -> timedelta:
        base = positive_duration(self.limits[severity if severity in SEVERITIES else "unknown"])
        return min(base, positive_duration(self.known_exploited)) if kev else base

    def warn_window(self, limit: timedelta) -> timedelta:
        w = self.warn_before.strip()
        if w.endswith("%"):
            return limit * (float(w[:-1]) / 100)
        return positive_duration(w)


@dataclass(frozen=True)
class SlaItem:
    image: str
    vuln: str
    package: str
    severity: str
    kev: bool
    state: str
    category: str  # fix-available | fixed | upstream
    status: str  # ok | warning | breached (open) ; met | missed (fixed) ; upstream
    first_seen: datetime
    fix_available_at: datetime | None
    fixed_published_at: datetime | None
    fixed_digest: str | None
    limit: timedelta | None
    deadline: datetime | None
    age: timedelta  # open: time since the clock started (upstream: since first seen); fixed: time to fix
    remaining: timedelta | None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        def t(x: datetime | None) -> str | None:
            return x.isoformat(timespec="seconds") if x else None

        return {
            "image": self.image,
            "vulnerability": self.vuln,
            "package": self.package,
            "severity": self.severity,
            "knownExploited": self.kev,
            "debianState": self.state,
            "category": self.category,
            "status": self.status,
            "firstSeen": t(self.first_seen),
            "fixAvailableAt": t(self.fix_available_at),
            "fixedPublishedAt": t(self.fixed_published_at),
            "fixedDigest": self.fixed_digest,
            "limitSeconds": int(self.limit.total_seconds()) if self.limit else None,
            "deadline": t(self.deadline),
            "ageSeconds": int(self.age.total_seconds()),
            "remainingSeconds": int(self.remaining.total_seconds()) if self.remaining is not None else None,
            "note": self.note,
        }


def evaluate(rows: Sequence[VulnRow], policy: Policy, now: datetime) -> list[SlaItem]:
    out = []
    for r in rows:
        if r.state == "withdrawn":
            continue
        limit = policy.limit(r.severity, r.kev)
        if r.fixed_published_at is not None:
            start = r.fix_available_at or r.fixed_published_at
            ttf = r.fixed_published_at - start
            out.append(
                SlaItem(r.image, r.vuln, r.package, r.severity, r.kev, r.state, "fixed",
                        "met" if ttf <= limit else "missed", r.first_seen, r.fix_available_at,
                        r.fixed_published_at, r.fixed_digest, limit, start + limit, ttf, None)
            )  # fmt: skip
        elif r.fix_available_at is not None:
            deadline = r.fix_available_at + limit
            remaining = deadline - now
            status = "breached" if remaining < timedelta(0) else (
                "warning" if remaining <= policy.warn_window(limit) else "ok")  # fmt: skip
            out.append(
                SlaItem(r.image, r.vuln, r.package, r.severity, r.kev, r.state, "fix-available", status,
                        r.first_seen, r.fix_available_at, None, None, limit, deadline,
                        now - r.fix_available_at, remaining)
            )  # fmt: skip
        else:
            note = None
            if r.state == "fixed-available" and r.fixed_version:
                note = f"Debian fixed it in {r.fixed_version}; not in the archive hardbake reads yet"
            out.append(
                SlaItem(r.image, r.vuln, r.package, r.severity, r.kev, r.state, "upstream", "upstream",
                        r.first_seen, None, None, None, None, None, now - r.first_seen, None, note)
            )  # fmt: skip
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda i: (rank.get(i.severity, 9), not i.kev, i.image, i.vuln))


def summary(items: Sequence[SlaItem], policy: Policy) -> list[dict[str, Any]]:
    """Per severity: the limit, open / warning / breached, fixed (met, missed, time to fix), upstream."""
    out = []
    for sev in SEVERITIES:
        of = [i for i in items if i.severity == sev]
        fixed = [i.age for i in of if i.category == "fixed"]
        upstream = [i.age for i in of if i.category == "upstream"]
        out.append(
            {
                "severity": sev,
                "limit": format_duration(policy.limit(sev, False)),
                "open": sum(1 for i in of if i.category == "fix-available"),
                "warning": sum(1 for i in of if i.status == "warning"),
                "breached": sum(1 for i in of if i.status == "breached"),
                "fixed": len(fixed),
                "met": sum(1 for i in of if i.status == "met"),
                "missed": sum(1 for i in of if i.status == "missed"),
                "medianTimeToFixSeconds": int(statistics.median(f.total_seconds() for f in fixed))
                if fixed
                else None,
                "maxTimeToFixSeconds": int(max(fixed).total_seconds()) if fixed else None,
                "upstream": len(upstream),
                "oldestUpstreamSeconds": int(max(upstream).total_seconds()) if upstream else None,
            }
        )
    return out


def report(items: Sequence[SlaItem], policy: Policy, now: datetime) -> dict[str, Any]:
    """The `hardbake sla --format json` document."""
    return {
        "schema": "hardbake-sla/1",
        "generatedAt": now.isoformat(timespec="seconds"),
        "policy": policy.model_dump(by_alias=True),
        "bySeverity": summary(items, policy),
        "open": [i.to_json() for i in items if i.category == "fix-available"],
        "upstream": [i.to_json() for i in items if i.category == "upstream"],
        "fixed": [i.to_json() for i in items if i.category == "fixed"],
    }


def _secs(v: int | None) -> str:
    return format_duration(timedelta(seconds=v)) if v is not None else "-"


def markdown(doc: dict[str, Any]) -> str:
    """The report as Markdown (for a CI summary or an issue)."""
    lines = [f"# Patch SLA ({doc['generatedAt']})", "", "## By severity", ""]
    lines += [
        "| severity | limit | open | warning | breached | fixed | met | missed | median time to fix | upstream | oldest upstream |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in doc["bySeverity"]:
        lines.append(
            f"| {s['severity']} | {s['limit']} | {s['open']} | {s['warning']} | {s['breached']} | {s['fixed']}"
            f" | {s['met']} | {s['missed']} | {_secs(s['medianTimeToFixSeconds'])} | {s['upstream']}"
            f" | {_secs(s['oldestUpstreamSeconds'])} |"
        )
    sections = (
        ("Fix available, not yet published", "open", ("status", "remainingSeconds")),
        ("Upstream: no fix in Debian yet", "upstream", ("debianState", "ageSeconds")),
        ("Fixed (time to fix)", "fixed", ("status", "ageSeconds")),
    )
    for title, key, (col, secs) in sections:
        lines += ["", f"## {title}", ""]
        if not doc[key]:
            lines.append("None.")
            continue
        lines += [
            "| image | vulnerability | package | severity | KEV | " + col + " | time |",
            "|---|---|---|---|---|---|---|",
        ]
        for i in doc[key]:
            lines.append(
                f"| {i['image']} | {i['vulnerability']} | {i['package']} | {i['severity']} |"
                f" {'yes' if i['knownExploited'] else ''} | {i[col]} | {_secs(i[secs])} |"
            )
    return "\n".join(lines) + "\n"
