"""The tracker's text lists: grammar, every state, the CVE <-> DSA join, bad input."""

from __future__ import annotations

import pytest

from hardbake.vuln.feeds.debian_lists import FEED, parse_text
from hardbake.vuln.feeds.interface import DebianStatus, Document, VulnRecord
from hardbake.vuln.state import FeedFormatError, Kind

CVE_LIST = """\
CVE-2099-0001 (Fixed in sid; bookworm has no line of its own ...)
\t- foo 2.0-1 (bug #1000; low)
CVE-2099-0002 (Never affected in bookworm)
\t- foo 2.0-1
\t[bookworm] - foo <not-affected> (Vulnerable code introduced later)
CVE-2099-0003 [fixed_version 0 in the JSON, a 0 version in the list]
\t- foo 0
CVE-2099-0004 (Only a DSA fixes bookworm)
\t{DSA-9999-1}
\t- foo 2.0-1
CVE-2099-0005 (Removed from unstable)
\t- bar <removed>
\t[bookworm] - bar <end-of-life> (Not supported in bookworm)
CVE-2099-0006 (no-dsa with reason)
\t- foo <unfixed> (bug #1001)
\t[bookworm] - foo <no-dsa> (Minor issue)
\t[trixie] - foo <postponed> (Fix along with next update round)
\tNOTE: https://example.invalid/note
CVE-2099-0007 (ignored)
\t- foo <unfixed> (unimportant)
\t[bookworm] - foo <ignored> (Minor issue, too intrusive to backport)
CVE-2099-0008 (undetermined)
\t- foo <undetermined>
CVE-2099-XXXX [placeholder id]
\tNOT-FOR-US: something else
CVE-2099-0009
\tRESERVED
"""

DSA_LIST = """\
[01 Jan 2099] DSA-9999-1 foo - security update
\t{CVE-2099-0004 CVE-2099-0010}
\t[bookworm] - foo 1.5-1+deb12u1
\tNOTE: the advisory also fixes 0010, which has no CVE/list entry in this fixture
"""


def rows(text: str, dsa: str = "") -> dict[tuple[str, str, str], DebianStatus]:
    docs = [Document("CVE/list", text)] + ([Document("DSA/list", dsa)] if dsa else [])
    out = FEED.parse(docs)
    return {(r.vuln_id, r.source, r.release): r for r in out.records if isinstance(r, DebianStatus)}


def test_every_state_keeps_its_kind_reason_and_urgency() -> None:
    r = rows(CVE_LIST, DSA_LIST)
    assert r["CVE-2099-0001", "foo", "sid"].kind is Kind.fixed
    assert r["CVE-2099-0001", "foo", "sid"].fixed_version == "2.0-1"
    assert r["CVE-2099-0001", "foo", "sid"].urgency == "low"
    assert r["CVE-2099-0001", "foo", "sid"].bug == 1000
    assert ("CVE-2099-0001", "foo", "bookworm") not in r  # inherits at match time
    na = r["CVE-2099-0002", "foo", "bookworm"]
    assert (na.kind, na.reason) == (Kind.not_affected, "Vulnerable code introduced later")
    assert r["CVE-2099-0003", "foo", "sid"].fixed_version == "0"
    assert r["CVE-2099-0005", "bar", "sid"].kind is Kind.removed
    eol = r["CVE-2099-0005", "bar", "bookworm"]
    assert (eol.kind, eol.reason) == (Kind.end_of_life, "Not supported in bookworm")
    nodsa = r["CVE-2099-0006", "foo", "bookworm"]
    assert (nodsa.kind, nodsa.reason) == (Kind.no_dsa, "Minor issue")
    assert r["CVE-2099-0006", "foo", "trixie"].kind is Kind.postponed
    ign = r["CVE-2099-0007", "foo", "bookworm"]
    assert (ign.kind, ign.urgency) == (Kind.ignored, "unimportant")  # urgency inherited from the sid line
    assert r["CVE-2099-0008", "foo", "sid"].kind is Kind.undetermined


def test_dsa_only_fix_is_joined_to_the_cve_for_its_release() -> None:
    r = rows(CVE_LIST, DSA_LIST)
    j = r["CVE-2099-0004", "foo", "bookworm"]
    assert (j.kind, j.fixed_version, j.origin) == (Kind.fixed, "1.5-1+deb12u1", "DSA-9999-1")
    # a CVE the advisory names but CVE/list does not (yet) still gets the advisory's fix
    assert r["CVE-2099-0010", "foo", "bookworm"].fixed_version == "1.5-1+deb12u1"


def test_own_release_line_wins_over_an_advisory() -> None:
    cve = "CVE-2099-0020 (x)\n\t{DSA-9999-2}\n\t- foo 3.0-1\n\t[bookworm] - foo 1.5-1+deb12u9\n"
    dsa = (
        "[02 Jan 2099] DSA-9999-2 foo - security update\n"
        "\t{CVE-2099-0020}\n\t[bookworm] - foo 1.5-1+deb12u2\n"
    )
    assert rows(cve, dsa)["CVE-2099-0020", "foo", "bookworm"].fixed_version == "1.5-1+deb12u9"


def test_aliases_name_the_advisories() -> None:
    out = FEED.parse([Document("CVE/list", CVE_LIST), Document("DSA/list", DSA_LIST)])
    recs = {r.id: r for r in out.records if isinstance(r, VulnRecord)}
    assert "DSA-9999-1" in recs["CVE-2099-0004"].aliases


def test_detects_lists_by_content_not_name() -> None:
    assert FEED.detect(Document("whatever.txt", CVE_LIST))
    assert FEED.detect(Document("x", DSA_LIST))
    assert not FEED.detect(Document("CVE/list", "hello world\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CVE-2099-0001 (x)\n\t- foo <fixed-soon>\n", "unknown Debian tracker state"),
        ("CVE-2099-0001 (x)\n\t- foo 2.0-1\n\tGARBAGE here\n", "unknown tracker annotation"),
        ("\t- foo 2.0-1\n", "annotation before any entry"),
        ("CVE-2099-0001 (x)\n\t- foo\n", "without a version"),
        ("CVE-2099-0001 (x)\n\t- foo ~bad\n", "invalid Debian version"),
    ],
)
def test_bad_lines_are_errors_with_a_line_number(text: str, message: str) -> None:
    with pytest.raises(FeedFormatError, match=message):
        parse_text(text, "CVE/list")
