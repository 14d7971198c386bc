"""What a feed is: something that recognises upstream documents by content and turns them into records.

A feed module exposes one `Feed` object. `detect(doc)` looks at a parsed document (JSON value
or text) and says whether it is this feed's format; `parse(docs)` turns every document of
one import into `FeedResult` records. Records are plain values the DB stores as they are;
decisions that depend on the scanned image (sid inheritance, version comparison) are left
to match time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hardbake.vuln.interface import Ecosystem
from hardbake.vuln.state import FeedFormatError, Kind


@dataclass(frozen=True)
class Document:
    """One unit of upstream data: a parsed JSON value, or text, plus where it came from."""

    name: str
    data: Any
    date: str | None = None  # upstream date if known (bundle _meta, Last-Modified, mtime)


@dataclass(frozen=True)
class VulnRecord:
    """What a feed says about a vulnerability itself (not about any package)."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    cvss_vector: str | None = None
    cvss_score: float | None = None
    vendor_severity: str | None = None
    published: str | None = None
    modified: str | None = None


@dataclass(frozen=True)
class DebianStatus:
    """One Debian tracker row: the state of `vuln_id` in source package `source` in `release`.

    `release` is a codename (`bookworm`), or `sid` for the unstable line that releases with
    no line of their own inherit at match time.
    """

    vuln_id: str
    source: str
    release: str
    kind: Kind
    fixed_version: str | None = None
    urgency: str | None = None
    reason: str | None = None
    origin: str = ""
    bug: int | None = None


@dataclass(frozen=True)
class AffectedPackage:
    """A language-ecosystem (or Debian OSV) package affected by `vuln_id` over `ranges`."""

    vuln_id: str
    ecosystem: Ecosystem
    name: str
    ranges: tuple[Mapping[str, Any], ...] = ()
    versions: tuple[str, ...] = ()
    distro: str | None = None  # Debian OSV records are per release: debian-12


@dataclass(frozen=True)
class KevEntry:
    cve: str
    date_added: str | None = None
    due_date: str | None = None
    ransomware: bool = False
    name: str = ""


@dataclass(frozen=True)
class ChangelogFix:
    """`vuln_id` is named in the changelog entry of `source` `version`: fixed at that version."""

    source: str
    version: str
    vuln_id: str


Record = VulnRecord | DebianStatus | AffectedPackage | KevEntry | ChangelogFix


@dataclass
class FeedResult:
    records: list[Record] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what was deliberately not imported, and why
    data_date: str | None = None


class Feed(Protocol):
    name: str
    #: what the feed covers, for reports: ecosystems (`deb`, `pypi`, ...) or `kev`
    covers: tuple[str, ...]

    def detect(self, doc: Document) -> bool: ...

    def parse(self, docs: Sequence[Document]) -> FeedResult: ...


def records_of(data: Any, is_record: Any) -> Iterator[Mapping[str, Any]]:
    """Record dicts in `data`: one record, a list of them, or a dict of id -> record."""
    if isinstance(data, Mapping):
        if is_record(data):
            yield data
            return
        for v in data.values():
            if isinstance(v, Mapping) and is_record(v):
                yield v
            elif isinstance(v, list | Mapping):
                yield from records_of(v, is_record)
            else:
                raise FeedFormatError(f"unexpected value {str(v)[:60]!r} where a record was expected")
    elif isinstance(data, list):
        for v in data:
            yield from records_of(v, is_record)
    else:
        raise FeedFormatError(f"unexpected value {str(data)[:60]!r} where a record was expected")


def looks_like(data: Any, is_record: Any, sample: int = 5) -> bool:
    """Does `data` hold records of this shape (checking the first few)?"""
    if isinstance(data, Mapping):
        if is_record(data):
            return True
        vals = list(data.values())[:sample]
        return bool(vals) and all(
            (isinstance(v, Mapping) and (is_record(v) or looks_like(v, is_record, 2)))
            or (isinstance(v, list) and looks_like(v, is_record, 2))
            for v in vals
        )
    if isinstance(data, list):
        vals = data[:sample]
        return bool(vals) and all(looks_like(v, is_record, 2) for v in vals)
    return False
