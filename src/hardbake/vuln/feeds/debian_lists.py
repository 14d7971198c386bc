"""The Debian security tracker's own text lists: `data/CVE/list`, `data/DSA/list`, `data/DLA/list`.

Grammar (the tracker's `bin/check-syntax` enforces it): an entry starts at column 0 with its
header — `CVE-2023-4911 (description ...)` or `CVE-2023-4641 [title]` in CVE/list,
`[03 Oct 2023] DSA-5514-1 glibc - security update` in DSA/DLA lists — and continues with
tab-indented annotations: `{DSA-5514-1 DLA-3807-1}` cross-references,
`[release] - pkg VERSION|<state> (notes)` package lines, and `NOTE:`, `TODO:`, `HELP:`,
`RESERVED`, `REJECTED`, `NOT-FOR-US:` lines (kept out of the DB). Anything else is an error
with its line number, so a truncated or foreign file never half-imports.

All lists of one import are joined (CVE entries with the advisories that fix them) by
`tracker_entries.join`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hardbake.vuln.feeds.interface import Document, FeedResult
from hardbake.vuln.feeds.tracker_entries import Entry, join, package_line
from hardbake.vuln.state import FeedFormatError

_CVE_HEAD = re.compile(r"^((?:CVE-\d{4}-(?:\d{4,}|XXXX))|TEMP-\d+-[0-9A-F]+)(?:\s+(.*))?$")
_ADV_HEAD = re.compile(r"^\[(\d{1,2} [A-Z][a-z]{2} \d{4})\]\s+((?:DSA|DLA|DTSA)-\d+(?:-\d+)?)\s*(.*)$")
_XREF = re.compile(r"^\{([^}]*)\}$")
_IGNORED = ("NOTE:", "TODO:", "HELP:", "NOT-FOR-US:", "RESERVED", "REJECTED")


def _is_list(text: str) -> bool:
    for line in text.splitlines()[:20]:
        if not line.strip():
            continue
        return bool(_CVE_HEAD.match(line) or _ADV_HEAD.match(line))
    return False


def parse_text(text: str, name: str) -> list[Entry]:
    entries: list[Entry] = []
    cur: Entry | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        where = f"{name}:{n}"
        if not raw[0].isspace():
            m = _CVE_HEAD.match(raw)
            if m:
                cur = Entry(m[1], header=(m[2] or "").strip())
            else:
                a = _ADV_HEAD.match(raw)
                if not a:
                    raise FeedFormatError(f"{where}: expected an entry header, found {raw[:80]!r}")
                cur = Entry(a[2], header=a[3].strip(), date=a[1])
            entries.append(cur)
            continue
        if cur is None:
            raise FeedFormatError(f"{where}: annotation before any entry header")
        line = raw.strip()
        x = _XREF.match(line)
        if x:
            cur.xrefs.extend(x[1].split())
        elif line.startswith(("-", "[")):
            cur.lines.append(package_line(line, where))
        elif line.startswith(_IGNORED):
            continue
        else:
            raise FeedFormatError(f"{where}: unknown tracker annotation {line[:80]!r}")
    return entries


class DebianListsFeed:
    name: str = "debian-tracker-lists"
    covers: tuple[str, ...] = ("deb",)

    def detect(self, doc: Document) -> bool:
        return isinstance(doc.data, str) and _is_list(doc.data)

    def parse(self, docs: Sequence[Document]) -> FeedResult:
        entries: list[Entry] = []
        for d in docs:
            entries.extend(parse_text(str(d.data), d.name))
        if not entries:
            raise FeedFormatError("tracker lists hold no entries")
        rows, records = join(entries, "tracker-lists")
        dates = [d.date for d in docs if d.date]
        return FeedResult([*rows, *records], data_date=max(dates) if dates else None)


FEED = DebianListsFeed()
