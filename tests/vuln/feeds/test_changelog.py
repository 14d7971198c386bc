"""Debian changelogs: a CVE named in a version's entry is fixed at that version."""

from __future__ import annotations

import gzip

import pytest

from hardbake.vuln.feeds.changelog import FEED, parse_changelog
from hardbake.vuln.feeds.interface import Document
from hardbake.vuln.state import FeedFormatError

CHANGELOG = """\
glibc (2.36-9+deb12u4) bookworm; urgency=medium

  * Fix a regression introduced by the fix for CVE-2023-4911.
  * debian/patches/any/local-CVE-2023-5156.patch: fix memory leak (CVE-2023-5156).

 -- Aurelien Jarno <aurel32@debian.org>  Sun, 01 Oct 2023 12:00:00 +0200

glibc (2.36-9+deb12u3) bookworm-security; urgency=medium

  * Fix a buffer overflow in ld.so (GLIBC_TUNABLES) - CVE-2023-4911.

 -- Aurelien Jarno <aurel32@debian.org>  Tue, 26 Sep 2023 22:00:00 +0200
"""


def test_lowest_version_naming_a_cve_is_the_fix() -> None:
    fixes, date = parse_changelog(CHANGELOG)
    got = {(f.vuln_id, f.version) for f in fixes}
    assert got == {("CVE-2023-4911", "2.36-9+deb12u3"), ("CVE-2023-5156", "2.36-9+deb12u4")}
    assert {f.source for f in fixes} == {"glibc"}
    assert date == "Sun, 01 Oct 2023 12:00:00 +0200"


def test_detected_by_content_plain_or_gzip() -> None:
    assert FEED.detect(Document("anything", CHANGELOG))
    assert not FEED.detect(Document("anything", "glibc 2.36\n"))
    assert gzip.decompress(gzip.compress(CHANGELOG.encode())).decode() == CHANGELOG


def test_bad_version_in_header() -> None:
    with pytest.raises(FeedFormatError):
        parse_changelog("foo (~1) unstable; urgency=low\n\n  * CVE-2000-0001\n")
