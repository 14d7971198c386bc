"""The state DB's value types: a published image, a rebuild, an observation, a vulnerability row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hardbake.build.plan import ImageLock


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


@dataclass(frozen=True)
class PublishedImage:
    name: str
    family: str
    tags: tuple[str, ...]
    spec: str
    repository: str | None
    digest: str | None
    published_at: datetime | None
    lock: ImageLock | None
    packages: tuple[dict[str, str], ...]  # name, version, source, source_version, arch


@dataclass(frozen=True)
class Observation:
    """One open vulnerability of a published image, as one scan (or changelog) shows it."""

    vuln: str
    package: str  # the source package
    severity: str
    kev: bool
    state: str  # the finding's state (affected, no-dsa, fixed-available, ...)
    fixed_version: str | None
    fix_in_archive: bool  # the archive offers a package that fixes it, now
    via: str = "scan"  # scan | changelog


@dataclass(frozen=True)
class VulnRow:
    image: str
    vuln: str
    package: str
    severity: str
    kev: bool
    state: str
    fixed_version: str | None
    first_seen: datetime
    fix_available_at: datetime | None
    fixed_published_at: datetime | None
    fixed_digest: str | None
    last_seen: datetime
    via: str

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        for k in ("first_seen", "fix_available_at", "fixed_published_at", "last_seen"):
            d[k] = iso(d[k]) if d[k] else None
        return d


@dataclass(frozen=True)
class RebuildRecord:
    id: int
    run_id: int
    image: str
    started_at: datetime
    finished_at: datetime
    outcome: str
    reasons: list[str]
    changes: list[dict[str, Any]]
    old_digest: str | None
    new_digest: str | None
    tests: list[dict[str, Any]]
    vulns_fixed: list[str]
    verified: bool | None
    error: str | None
    lock_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["started_at"], d["finished_at"] = iso(self.started_at), iso(self.finished_at)
        return d
