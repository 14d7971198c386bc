"""CISA KEV catalog: the known-exploited flag."""

from __future__ import annotations

import pytest

from hardbake.vuln.feeds.interface import Document, KevEntry
from hardbake.vuln.feeds.kev import FEED
from hardbake.vuln.state import FeedFormatError

KEV = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities",
    "catalogVersion": "2026.11.26",
    "dateReleased": "2026-11-26T18:00:00.000Z",
    "count": 2,
    "vulnerabilities": [
        {
            "cveID": "CVE-2023-4911",
            "vendorProject": "GNU",
            "product": "GNU C Library",
            "vulnerabilityName": "GNU C Library Buffer Overflow",
            "dateAdded": "2023-11-21",
            "dueDate": "2023-12-12",
            "knownRansomwareCampaignUse": "Unknown",
        },
        {
            "cveID": "CVE-2024-3094",
            "vendorProject": "Tukaani",
            "product": "xz",
            "vulnerabilityName": "xz backdoor",
            "dateAdded": "2024-03-29",
            "dueDate": "2024-04-19",
            "knownRansomwareCampaignUse": "Known",
        },
    ],
}


def test_kev_entries() -> None:
    assert FEED.detect(Document("kev", KEV))
    out = FEED.parse([Document("kev", KEV)])
    entries = [r for r in out.records if isinstance(r, KevEntry)]
    assert [e.cve for e in entries] == ["CVE-2023-4911", "CVE-2024-3094"]
    assert entries[1].ransomware and not entries[0].ransomware
    assert out.data_date == "2026-11-26T18:00:00.000Z"


def test_entry_without_cve_is_refused() -> None:
    with pytest.raises(FeedFormatError):
        FEED.parse([Document("kev", {**KEV, "vulnerabilities": [{"vendorProject": "x"}]})])
