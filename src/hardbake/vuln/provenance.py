"""Per-source metadata of the vulnerability DB: where each import came from, what it covers.

`SourceInfo` is what `hardbake db status` shows and every scan report carries; `covers` is
computed from the records an import actually holds (an OSV dump of PyPI covers pypi only),
so coverage in reports never claims an ecosystem no feed describes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hardbake.vuln.feeds.interface import AffectedPackage, DebianStatus, KevEntry, Record


@dataclass(frozen=True)
class SourceInfo:
    feed: str
    location: str
    sha256: str
    imported_at: datetime
    data_date: str | None
    covers: tuple[str, ...]
    counts: dict[str, int]
    skipped: tuple[str, ...]

    def age(self, now: datetime) -> timedelta:
        return now - self.imported_at

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "location": self.location,
            "sha256": self.sha256,
            "imported_at": self.imported_at.isoformat(timespec="seconds"),
            "data_date": self.data_date,
            "age_hours": round(self.age(now).total_seconds() / 3600, 1),
            "covers": list(self.covers),
            "counts": self.counts,
            "skipped": list(self.skipped),
        }


def covers_of(records: Iterable[Record]) -> list[str]:
    """What an import covers, from what it holds (an OSV dump of PyPI covers pypi only)."""
    out: set[str] = set()
    for r in records:
        if isinstance(r, DebianStatus):
            out.add("deb")
        elif isinstance(r, AffectedPackage):
            out.add(r.ecosystem.value)
        elif isinstance(r, KevEntry):
            out.add("kev")
    return sorted(out)


def count_names(c: Counter[str]) -> dict[str, int]:
    names = {
        "VulnRecord": "vulnerabilities",
        "DebianStatus": "debian_rows",
        "AffectedPackage": "affected_packages",
        "KevEntry": "known_exploited",
        "ChangelogFix": "changelog_fixes",
    }
    return {names.get(k, k): v for k, v in sorted(c.items())}
