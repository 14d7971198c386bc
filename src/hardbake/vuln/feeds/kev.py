"""CISA's Known Exploited Vulnerabilities catalog (JSON): sets the "known exploited" flag.

Shape: `{title, catalogVersion, dateReleased, count, vulnerabilities: [{cveID, vendorProject,
product, vulnerabilityName, dateAdded, dueDate, knownRansomwareCampaignUse, ...}]}`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardbake.vuln.feeds.interface import Document, FeedResult, KevEntry
from hardbake.vuln.state import FeedFormatError


def _is_kev(data: Any) -> bool:
    if not isinstance(data, Mapping) or not isinstance(data.get("vulnerabilities"), list):
        return False
    vulns = data["vulnerabilities"]
    return "catalogVersion" in data or (bool(vulns) and isinstance(vulns[0], Mapping) and "cveID" in vulns[0])


class KevFeed:
    name: str = "cisa-kev"
    covers: tuple[str, ...] = ("kev",)

    def detect(self, doc: Document) -> bool:
        return _is_kev(doc.data)

    def parse(self, docs: Sequence[Document]) -> FeedResult:
        out = FeedResult()
        for d in docs:
            for i, v in enumerate(d.data["vulnerabilities"]):
                cve = v.get("cveID") if isinstance(v, Mapping) else None
                if not isinstance(cve, str) or not cve.startswith("CVE-"):
                    raise FeedFormatError(f"{d.name}: vulnerabilities[{i}] has no cveID")
                out.records.append(
                    KevEntry(
                        cve,
                        v.get("dateAdded"),
                        v.get("dueDate"),
                        str(v.get("knownRansomwareCampaignUse", "")).lower() == "known",
                        str(v.get("vulnerabilityName", "")),
                    )
                )
            out.data_date = d.data.get("dateReleased") or d.date
        return out


FEED = KevFeed()
