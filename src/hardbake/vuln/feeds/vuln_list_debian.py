"""vuln-list-debian's per-entry JSON (`tracker/CVE/<year>/<ID>.json`, `tracker/DSA/<ID>.json`).

Each file is `{"Header": {"Original", "ID"}, "Annotations": [...]}`: the tracker's lines with
`Type` (`package`, `xref`, ...), `Release`, `Package`, `Kind`, `Version`, `Description`,
`Severity`, `BugNo`, `Bugs` already split out. The structured fields are read as published;
an unknown `Kind` is an error (a state hardbake does not know must not be guessed). CVE and
DSA/DLA entries of one import are joined like the text lists (`tracker_entries.join`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardbake.vuln.feeds.interface import Document, FeedResult, looks_like, records_of
from hardbake.vuln.feeds.tracker_entries import Entry, PackageLine, join
from hardbake.vuln.state import FeedFormatError, Kind


def _is_entry(d: Mapping[str, Any]) -> bool:
    return "Header" in d and "Annotations" in d


def _entry(rec: Mapping[str, Any], where: str) -> Entry:
    header = rec.get("Header")
    if not isinstance(header, Mapping) or not isinstance(header.get("ID"), str):
        raise FeedFormatError(f"{where}: entry without Header.ID")
    original = str(header.get("Original", ""))
    entry = Entry(header["ID"])
    if original.startswith("["):
        entry.date = original[1 : original.find("]")]
        entry.header = original[original.find("]") + 1 :].strip()
    else:
        entry.header = original[len(entry.id) :].strip()
    anns = rec.get("Annotations")
    if not isinstance(anns, list):
        raise FeedFormatError(f"{where}: {entry.id}: Annotations is not a list")
    for a in anns:
        if not isinstance(a, Mapping):
            raise FeedFormatError(f"{where}: {entry.id}: annotation is not an object")
        typ = a.get("Type")
        if typ == "xref":
            entry.xrefs.extend(str(b) for b in a.get("Bugs") or ())
        elif typ == "package":
            pkg, kind_s = a.get("Package"), a.get("Kind")
            if not isinstance(pkg, str) or not isinstance(kind_s, str):
                raise FeedFormatError(f"{where}: {entry.id}: package annotation without Package/Kind: {a}")
            kind = Kind.parse(kind_s)
            version = a.get("Version") if kind is Kind.fixed else None
            if kind is Kind.fixed and not version:
                raise FeedFormatError(f"{where}: {entry.id}: fixed annotation without Version: {a}")
            desc = a.get("Description")
            severity = a.get("Severity")
            bug = a.get("BugNo")
            entry.lines.append(
                PackageLine(
                    a.get("Release") or None,
                    pkg,
                    kind,
                    version,
                    severity if isinstance(severity, str) and severity else None,
                    desc if isinstance(desc, str) and desc else None,
                    int(bug) if isinstance(bug, int) and bug else None,
                )
            )
    return entry


class VulnListDebianFeed:
    name: str = "vuln-list-debian"
    covers: tuple[str, ...] = ("deb",)

    def detect(self, doc: Document) -> bool:
        return looks_like(doc.data, _is_entry)

    def parse(self, docs: Sequence[Document]) -> FeedResult:
        entries = [_entry(r, d.name) for d in docs for r in records_of(d.data, _is_entry)]
        if not entries:
            raise FeedFormatError("vuln-list-debian documents hold no entries")
        rows, records = join(entries, "vuln-list-debian")
        dates = [d.date for d in docs if d.date]
        return FeedResult([*rows, *records], data_date=max(dates) if dates else None)


FEED = VulnListDebianFeed()
