"""The Debian security tracker's JSON export (`/tracker/data/json`).

Shape: `{source package: {CVE or TEMP id: {description, scope, debianbug, releases:
{codename: {status, repositories, fixed_version, urgency, nodsa, nodsa_reason}}}}}`. The
tracker has already resolved each release (inheritance and DSA joins included), so rows
are stored per release as published. Mapping of a release object to a tracker kind:

| status | other fields | kind |
|---|---|---|
| resolved | fixed_version `0` | not-affected (never vulnerable) |
| resolved | fixed_version V | fixed at V |
| open | urgency `end-of-life` | end-of-life |
| open | nodsa set, nodsa_reason `postponed` / `ignored` | postponed / ignored |
| open | nodsa set, other reason | no-dsa (the nodsa text is the reason) |
| open | — | unfixed |
| undetermined | — | undetermined |

Any other status is an error: a state hardbake does not know is never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardbake.vuln.feeds.interface import DebianStatus, Document, FeedResult, VulnRecord
from hardbake.vuln.state import FeedFormatError, Kind


def _is_export(data: Any) -> bool:
    if not isinstance(data, Mapping) or not data:
        return False
    for pkg in list(data.values())[:3]:
        if not isinstance(pkg, Mapping) or not pkg:
            return False
        for issue in list(pkg.values())[:3]:
            if not (isinstance(issue, Mapping) and isinstance(issue.get("releases"), Mapping)):
                return False
    return True


def release_kind(rel: Mapping[str, Any], where: str) -> tuple[Kind, str | None, str | None]:
    status = rel.get("status")
    fixed = rel.get("fixed_version") or None
    urgency = rel.get("urgency") or None
    nodsa, reason = rel.get("nodsa") or None, (rel.get("nodsa_reason") or "").strip()
    if status == "resolved":
        if fixed is None:
            raise FeedFormatError(f"{where}: status resolved without fixed_version")
        return (Kind.not_affected, None, None) if fixed == "0" else (Kind.fixed, fixed, None)
    if status == "open":
        if urgency == "end-of-life":
            return Kind.end_of_life, None, None
        if nodsa is not None or reason:
            if reason in ("postponed", "ignored"):
                return Kind(reason), None, nodsa
            if reason:
                raise FeedFormatError(f"{where}: unknown nodsa_reason {reason!r}")
            return Kind.no_dsa, None, nodsa
        return Kind.unfixed, None, None
    if status == "undetermined":
        return Kind.undetermined, None, None
    raise FeedFormatError(
        f"{where}: unknown release status {status!r}", hint="the tracker uses resolved, open, undetermined"
    )


class DebianJsonFeed:
    name: str = "debian-tracker-json"
    covers: tuple[str, ...] = ("deb",)

    def detect(self, doc: Document) -> bool:
        return _is_export(doc.data)

    def parse(self, docs: Sequence[Document]) -> FeedResult:
        out = FeedResult()
        summaries: dict[str, str] = {}
        for d in docs:
            for pkg, issues in d.data.items():
                if not isinstance(issues, Mapping):
                    raise FeedFormatError(f"{d.name}: package {pkg!r} is not an object")
                for vid, issue in issues.items():
                    rels = issue.get("releases") if isinstance(issue, Mapping) else None
                    if not isinstance(rels, Mapping):
                        raise FeedFormatError(f"{d.name}: {pkg}/{vid} has no releases object")
                    if issue.get("description"):
                        summaries.setdefault(vid, str(issue["description"]))
                    bug = issue.get("debianbug")
                    for codename, rel in rels.items():
                        where = f"{d.name}: {pkg}/{vid}/{codename}"
                        if not isinstance(rel, Mapping):
                            raise FeedFormatError(f"{where}: release is not an object")
                        kind, fixed, reason = release_kind(rel, where)
                        urgency = rel.get("urgency") or None
                        if urgency in ("not yet assigned", "end-of-life"):
                            urgency = None
                        out.records.append(
                            DebianStatus(
                                vid,
                                pkg,
                                codename,
                                kind,
                                fixed,
                                urgency,
                                reason,
                                "tracker-json",
                                bug if isinstance(bug, int) else None,
                            )
                        )
        out.records.extend(VulnRecord(v, (), s) for v, s in summaries.items())
        dates = [d.date for d in docs if d.date]
        out.data_date = max(dates) if dates else None
        return out


FEED = DebianJsonFeed()
