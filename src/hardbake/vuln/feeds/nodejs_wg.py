"""The Node.js security working group's advisories (`vuln/npm/*.json`, `vuln/core/*.json`).

npm advisories: `{id, module_name, cves, vulnerable_versions, patched_versions, title,
cvss_vector, cvss_score, ...}` with node-semver ranges; stored for ecosystem `npm` as
`NSWG-ECO-<id>`. Node.js core entries (`vuln/core/index.json`, keyed by id): `{cve,
vulnerable, patched, severity, ...}` — ranges over Node.js itself — stored for ecosystem
`generic`, package `node`, as `NSWG-CORE-<id>`. A version is affected when it satisfies the
vulnerable range and not the patched one. Ranges are validated on import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardbake.errors import InputError
from hardbake.vuln import ranges as range_eval
from hardbake.vuln.feeds.interface import (
    AffectedPackage,
    Document,
    FeedResult,
    VulnRecord,
    looks_like,
    records_of,
)
from hardbake.vuln.interface import Ecosystem
from hardbake.vuln.severity import cvss_score
from hardbake.vuln.state import FeedFormatError


def _is_npm(d: Mapping[str, Any]) -> bool:
    return "module_name" in d and "vulnerable_versions" in d


def _is_core(d: Mapping[str, Any]) -> bool:
    return "vulnerable" in d and "patched" in d and "cve" in d


def _range(vid: str, vulnerable: Any, patched: Any, where: str) -> dict[str, Any]:
    if not isinstance(vulnerable, str) or not vulnerable.strip():
        raise FeedFormatError(f"{where}: {vid} has no vulnerable range")
    r: dict[str, Any] = {"type": "NODE_SEMVER", "vulnerable": vulnerable.strip()}
    if isinstance(patched, str) and patched.strip():
        r["patched"] = patched.strip()
    try:
        range_eval.validate(Ecosystem.npm, [r])
    except InputError as e:
        raise FeedFormatError(f"{where}: {vid}: {e.message}") from e
    return r


class NodejsWgFeed:
    name: str = "nodejs-security-wg"
    covers: tuple[str, ...] = ("npm", "generic")

    def detect(self, doc: Document) -> bool:
        return looks_like(doc.data, _is_npm) or looks_like(doc.data, _is_core)

    def parse(self, docs: Sequence[Document]) -> FeedResult:
        out = FeedResult()
        seen: set[str] = set()
        for d in docs:
            if looks_like(d.data, _is_npm):
                for a in records_of(d.data, _is_npm):
                    vid = f"NSWG-ECO-{a.get('id')}"
                    if vid in seen:
                        continue  # npm/index.json repeats the per-advisory files
                    seen.add(vid)
                    rng = _range(vid, a.get("vulnerable_versions"), a.get("patched_versions"), d.name)
                    vector = a.get("cvss_vector") or None
                    score = a.get("cvss_score")
                    if score is None and vector:
                        score = cvss_score(vector)
                    out.records.append(
                        VulnRecord(
                            vid,
                            tuple(a.get("cves") or ()),
                            str(a.get("title") or ""),
                            vector,
                            float(score) if isinstance(score, int | float) else None,
                            None,
                            a.get("publish_date"),
                            a.get("updated_at"),
                        )
                    )
                    out.records.append(AffectedPackage(vid, Ecosystem.npm, str(a["module_name"]), (rng,)))
            else:
                items = (
                    d.data.items() if isinstance(d.data, Mapping) and not _is_core(d.data) else [("", d.data)]
                )
                for key, c in items:
                    if not isinstance(c, Mapping) or not _is_core(c):
                        raise FeedFormatError(f"{d.name}: core entry {key!r} lacks cve/vulnerable/patched")
                    vid = f"NSWG-CORE-{key or c.get('id') or (c['cve'] or ['?'])[0]}"
                    if vid in seen:
                        continue
                    seen.add(vid)
                    rng = _range(vid, c.get("vulnerable"), c.get("patched"), d.name)
                    vector = c.get("cvss") if isinstance(c.get("cvss"), str) else None
                    score = c.get("cvss_score")
                    sev = c.get("severity")
                    out.records.append(
                        VulnRecord(
                            vid,
                            tuple(c.get("cve") or ()),
                            str(c.get("description") or c.get("overview") or "")[:500],
                            vector,
                            float(score) if isinstance(score, int | float) else None,
                            sev if isinstance(sev, str) and sev != "unknown" else None,
                            c.get("publish_date"),
                        )
                    )
                    out.records.append(AffectedPackage(vid, Ecosystem.generic, "node", (rng,)))
        dates = [d.date for d in docs if d.date]
        out.data_date = max(dates) if dates else None
        return out


FEED = NodejsWgFeed()
