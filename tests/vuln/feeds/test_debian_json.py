"""The tracker's JSON export: one fixture release object per state."""

from __future__ import annotations

from typing import Any

import pytest

from hardbake.vuln.feeds.debian_json import FEED
from hardbake.vuln.feeds.interface import DebianStatus, Document
from hardbake.vuln.state import FeedFormatError, Kind


def rel(status: str, **kw: Any) -> dict[str, Any]:
    return {"status": status, "repositories": {"bookworm": "1.0-1"}, "urgency": "not yet assigned", **kw}


EXPORT = {
    "foo": {
        "CVE-2099-1001": {
            "description": "fixed",
            "debianbug": 42,
            "releases": {
                "bookworm": rel("resolved", fixed_version="1.0-1+deb12u1", urgency="medium"),
                "sid": rel("resolved", fixed_version="1.1-1", urgency="medium"),
            },
        },
        "CVE-2099-1002": {"releases": {"bookworm": rel("resolved", fixed_version="0")}},
        "CVE-2099-1003": {"releases": {"bookworm": rel("open", nodsa="Minor issue", nodsa_reason="")}},
        "CVE-2099-1004": {
            "releases": {"bookworm": rel("open", nodsa="Minor issue", nodsa_reason="postponed")}
        },
        "CVE-2099-1005": {
            "releases": {"bookworm": rel("open", nodsa="Too intrusive", nodsa_reason="ignored")}
        },
        "CVE-2099-1006": {"releases": {"bookworm": rel("open", urgency="end-of-life")}},
        "CVE-2099-1007": {"releases": {"bookworm": rel("open", urgency="unimportant")}},
        "CVE-2099-1008": {"releases": {"bookworm": rel("undetermined")}},
    }
}


def test_every_release_state_maps_to_a_distinct_kind() -> None:
    assert FEED.detect(Document("json", EXPORT))
    out = FEED.parse([Document("json", EXPORT)])
    r = {(x.vuln_id, x.release): x for x in out.records if isinstance(x, DebianStatus)}
    assert (r["CVE-2099-1001", "bookworm"].kind, r["CVE-2099-1001", "bookworm"].fixed_version) == (
        Kind.fixed,
        "1.0-1+deb12u1",
    )
    assert r["CVE-2099-1001", "bookworm"].bug == 42
    assert r["CVE-2099-1002", "bookworm"].kind is Kind.not_affected
    assert (r["CVE-2099-1003", "bookworm"].kind, r["CVE-2099-1003", "bookworm"].reason) == (
        Kind.no_dsa,
        "Minor issue",
    )
    assert r["CVE-2099-1004", "bookworm"].kind is Kind.postponed
    assert r["CVE-2099-1005", "bookworm"].kind is Kind.ignored
    assert r["CVE-2099-1006", "bookworm"].kind is Kind.end_of_life
    assert (r["CVE-2099-1007", "bookworm"].kind, r["CVE-2099-1007", "bookworm"].urgency) == (
        Kind.unfixed,
        "unimportant",
    )
    assert r["CVE-2099-1008", "bookworm"].kind is Kind.undetermined
    assert r["CVE-2099-1008", "bookworm"].urgency is None  # "not yet assigned" is no urgency


@pytest.mark.parametrize(
    "release", [rel("vanished"), rel("open", nodsa="x", nodsa_reason="maybe"), rel("resolved")]
)
def test_unknown_states_are_refused(release: dict[str, Any]) -> None:
    with pytest.raises(FeedFormatError):
        FEED.parse([Document("json", {"foo": {"CVE-2099-1": {"releases": {"bookworm": release}}}})])
