"""The Node.js security WG's npm advisories and core list, from the real sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardbake.vuln.feeds import FEEDS
from hardbake.vuln.feeds.interface import AffectedPackage, Document, VulnRecord
from hardbake.vuln.feeds.nodejs_wg import FEED
from hardbake.vuln.feeds.source import assign, load
from hardbake.vuln.interface import Ecosystem
from hardbake.vuln.state import FeedFormatError


def test_real_sample(shared_data: Path) -> None:
    groups = assign(load(str(shared_data / "npm_nodejs_security_wg.json")), FEEDS)
    assert list(groups) == ["nodejs-security-wg"]
    out = FEED.parse(groups["nodejs-security-wg"][1])
    aff = [r for r in out.records if isinstance(r, AffectedPackage)]
    npm = [a for a in aff if a.ecosystem is Ecosystem.npm]
    core = [a for a in aff if a.ecosystem is Ecosystem.generic]
    assert len(npm) == 467  # npm/index.json repeats advisories: deduplicated by id
    assert len(core) == 171 and {a.name for a in core} == {"node"}
    recs = {r.id: r for r in out.records if isinstance(r, VulnRecord)}
    assert recs["NSWG-ECO-1"].aliases == ("CVE-2014-7205",)
    assert recs["NSWG-ECO-1"].cvss_score == 6.5
    assert recs["NSWG-CORE-170"].vendor_severity == "low"


def test_bad_range_is_refused() -> None:
    bad = [{"id": 1, "module_name": "x", "vulnerable_versions": "not a range", "patched_versions": None}]
    with pytest.raises(FeedFormatError, match="NSWG-ECO-1"):
        FEED.parse([Document("npm", bad)])
