"""vuln-list-debian JSON, read from the real sample bundle exactly as it is in ../shared/data."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from hardbake.vuln.feeds.interface import DebianStatus, Document
from hardbake.vuln.feeds.source import load
from hardbake.vuln.feeds.vuln_list_debian import FEED
from hardbake.vuln.state import FeedFormatError, Kind


def _rows(shared_data: Path) -> dict[tuple[str, str, str], DebianStatus]:
    docs = [d for d in load(str(shared_data / "debian_tracker_sample.json")).documents if FEED.detect(d)]
    assert {d.name.rsplit("#", 1)[1] for d in docs} == {"CVE", "DSA"}
    out = FEED.parse(docs)
    return {(r.vuln_id, r.source, r.release): r for r in out.records if isinstance(r, DebianStatus)}


def test_glibc_cve_2023_4911_is_fixed_in_bookworm_at_the_dsa_version(shared_data: Path) -> None:
    rows = _rows(shared_data)
    sid = rows["CVE-2023-4911", "glibc", "sid"]
    assert (sid.kind, sid.fixed_version) == (Kind.fixed, "2.37-12")
    bw = rows["CVE-2023-4911", "glibc", "bookworm"]
    assert (bw.kind, bw.fixed_version, bw.origin) == (Kind.fixed, "2.36-9+deb12u3", "DSA-5514-1")


def test_sample_states_survive(shared_data: Path) -> None:
    rows = _rows(shared_data)
    assert rows["CVE-2024-5535", "openssl", "bookworm"].kind is Kind.postponed
    assert rows["CVE-2016-2781", "coreutils", "bookworm"].kind is Kind.ignored
    assert rows["CVE-2024-3094", "xz-utils", "bookworm"].reason == "Vulnerable code not present"
    assert rows["CVE-2024-6232", "python3.11", "sid"].kind is Kind.removed
    assert rows["CVE-2025-8194", "python3.13", "trixie"].kind is Kind.no_dsa
    assert rows["CVE-2005-2541", "tar", "sid"].urgency == "unimportant"
    # a DSA for another package (jetty9) that names the same CVE is joined too
    assert rows["CVE-2023-44487", "jetty9", "bookworm"].origin == "DSA-5540-1"
    kinds = {r.kind for r in rows.values()}
    assert {
        Kind.fixed,
        Kind.unfixed,
        Kind.no_dsa,
        Kind.postponed,
        Kind.ignored,
        Kind.not_affected,
        Kind.removed,
    } <= kinds


def test_unknown_kind_is_refused(shared_data: Path) -> None:
    data = json.loads((shared_data / "debian_tracker_sample.json").read_text())
    bad = copy.deepcopy(data["CVE"])
    bad["CVE-2023-4911"]["Annotations"][1]["Kind"] = "probably-fine"
    with pytest.raises(FeedFormatError, match="probably-fine"):
        FEED.parse([Document("CVE", bad)])
