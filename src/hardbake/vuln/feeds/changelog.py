"""Debian changelogs (`/usr/share/doc/<pkg>/changelog.Debian.gz`): fixes named by the maintainers.

Debian Policy 4.4: each entry is `source (version) distributions; urgency=...`, indented
change lines, and a ` -- Maintainer <email>  date` trailer. A CVE id named in the entry of
version V was fixed in V (the lowest such version, when later entries name it again for a
regression). This is evidence that needs no feed, used for `fixed` in produced VEX and to
mark findings fixed when the installed version is at or above it.

The lead wires the .deb cache to `parse_changelog(bytes)` / `VulnDB.import_changelog`; the
`--from` loader also recognises changelog files (plain or gzip) by content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hardbake.debian.version import DebVersion
from hardbake.errors import InputError
from hardbake.vuln.feeds.interface import ChangelogFix, Document, FeedResult
from hardbake.vuln.state import FeedFormatError

_HEADER = re.compile(r"^([a-z0-9][a-z0-9+.-]+) \(([^()\s]+)\) ([^;]*);(.*)$")
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b")
_TRAILER = re.compile(r"^ -- .*?>\s+(.*)$")


def _is_changelog(text: str) -> bool:
    for line in text.splitlines()[:5]:
        if line.strip():
            return bool(_HEADER.match(line)) and "urgency=" in line
    return False


def parse_changelog(text: str, name: str = "changelog") -> tuple[list[ChangelogFix], str | None]:
    """(fixes, date of the newest entry) of one changelog; the lowest version naming a CVE wins."""
    best: dict[tuple[str, str], tuple[DebVersion, str]] = {}
    source = version = None
    newest_date = None
    for n, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            source, version = m[1], m[2]
            try:
                vkey = DebVersion(version)
            except InputError as e:
                raise FeedFormatError(f"{name}:{n}: {e.message}") from e
            continue
        t = _TRAILER.match(line)
        if t and newest_date is None:
            newest_date = t[1].strip()
        if source is None or version is None or not line.startswith((" ", "\t")):
            continue
        for cve in _CVE.findall(line):
            k = (source, cve)
            if k not in best or vkey < best[k][0]:
                best[k] = (vkey, version)
    if source is None:
        raise FeedFormatError(f"{name}: no changelog entry header found")
    return [ChangelogFix(s, v, c) for (s, c), (_, v) in sorted(best.items())], newest_date


class ChangelogFeed:
    name: str = "debian-changelog"
    covers: tuple[str, ...] = ("deb",)

    def detect(self, doc: Document) -> bool:
        return isinstance(doc.data, str) and _is_changelog(doc.data)

    def parse(self, docs: Sequence[Document]) -> FeedResult:
        out = FeedResult()
        for d in docs:
            fixes, date = parse_changelog(str(d.data), d.name)
            out.records.extend(fixes)
            out.data_date = out.data_date or date or d.date
        return out


FEED = ChangelogFeed()
