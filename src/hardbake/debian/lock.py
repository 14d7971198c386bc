"""The lock: exactly which .debs an image is built from, deterministic JSON.

A lock names repositories logically ("debian", "debian-security", a user repository's name)
and never by mirror URL, so the same lock builds the same image on any machine whatever
mirror it uses. Packages are sorted by name; keys are sorted; the file ends with a newline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from hardbake import atomic
from hardbake.debian.resolve import CutEdge, Resolution
from hardbake.debian.version import DebVersion
from hardbake.errors import InputError

LOCK_VERSION = 1


@dataclass(frozen=True)
class LockedPackage:
    name: str
    version: str
    arch: str
    source: str
    source_version: str
    size: int
    installed_size: int
    sha256: str
    filename: str
    suite: str
    repo: str
    required_by: str | None = None
    via: str | None = None

    def __post_init__(self) -> None:
        DebVersion(self.version)  # validate
        if len(self.sha256) != 64 or any(c not in "0123456789abcdef" for c in self.sha256):
            raise InputError(f"lock: package {self.name}: sha256 {self.sha256!r} is not 64 hex digits")
        if ".." in self.filename.split("/") or self.filename.startswith("/"):
            raise InputError(f"lock: package {self.name}: unsafe filename {self.filename!r}")

    @property
    def deb_name(self) -> str:
        return self.filename.rsplit("/", 1)[-1]

    @property
    def purl(self) -> str:
        return str(PackageURL("deb", "debian", self.name, self.version, {"arch": self.arch}))


@dataclass(frozen=True)
class ArchLock:
    """The resolved package set of one architecture."""

    arch: str
    suites: tuple[tuple[str, str], ...]  # (repo name, suite), priority order
    requested: tuple[str, ...]
    exclude: tuple[str, ...]
    drops: dict[str, str]
    packages: tuple[LockedPackage, ...]
    cuts: tuple[CutEdge, ...]

    @classmethod
    def from_resolution(cls, res: Resolution, suites: tuple[tuple[str, str], ...]) -> ArchLock:
        pkgs = tuple(
            LockedPackage(
                name=s.record.name,
                version=str(s.record.version),
                arch=s.record.architecture,
                source=s.record.source,
                source_version=str(s.record.source_version),
                size=s.record.size,
                installed_size=s.record.installed_size,
                sha256=s.record.sha256,
                filename=s.record.filename,
                suite=s.record.suite,
                repo=s.record.repo,
                required_by=s.required_by,
                via=s.via,
            )
            for _, s in sorted(res.packages.items())
        )
        return cls(
            arch=res.arch,
            suites=suites,
            requested=tuple(str(r) for r in res.request.requirements),
            exclude=tuple(sorted(res.request.exclude)),
            drops={d.package: d.reason for d in res.request.drops},
            packages=pkgs,
            cuts=res.cuts,
        )

    def package(self, name: str) -> LockedPackage | None:
        return next((p for p in self.packages if p.name == name), None)

    def why(self, name: str) -> list[tuple[str, str | None]]:
        """The chain that pulled `name` in, root first: [(package, dependency that pulled it)]."""
        if self.package(name) is None:
            raise InputError(f"{name} is not in the resolved set for {self.arch}")
        chain: list[tuple[str, str | None]] = []
        cur: str | None = name
        while cur is not None and all(cur != c for c, _ in chain):
            p = self.package(cur)
            assert p is not None
            chain.append((cur, p.via))
            cur = p.required_by
        return list(reversed(chain))

    def to_json(self) -> dict[str, Any]:
        return {
            "arch": self.arch,
            "suites": [{"repo": r, "suite": s} for r, s in self.suites],
            "request": {"packages": list(self.requested), "exclude": list(self.exclude), "drops": self.drops},
            "packages": [{k: v for k, v in p.__dict__.items() if v is not None} for p in self.packages],
            "cuts": [c.__dict__ for c in self.cuts],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any], origin: str) -> ArchLock:
        try:
            return cls(
                arch=d["arch"],
                suites=tuple((s["repo"], s["suite"]) for s in d["suites"]),
                requested=tuple(d["request"]["packages"]),
                exclude=tuple(d["request"].get("exclude", ())),
                drops=dict(d["request"].get("drops", {})),
                packages=tuple(LockedPackage(**p) for p in d["packages"]),
                cuts=tuple(CutEdge(**c) for c in d.get("cuts", ())),
            )
        except (KeyError, TypeError) as e:
            raise InputError(f"{origin}: not a hardbake lock ({e!r} missing or malformed)") from e


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(path: Path, obj: dict[str, Any]) -> None:
    atomic.write_text(path, dumps(obj))


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as e:
        raise InputError(f"lock file {path} does not exist") from e
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON at line {e.lineno}: {e.msg}") from e
    if not isinstance(data, dict):
        raise InputError(f"{path}: a lock must be a JSON object")
    return data
