"""Value types of a migration: image uses, matches, findings, edits and the inventory.

A per-file failure (an unparsable Dockerfile, a YAML bomb, a symlink loop) is a `Problem`
value, not an exception: one bad file must not hide the inventory of the others
(pip-audit's `SkippedDependency` idea). Edits are character spans of the decoded text; every
character outside them is written back unchanged, so the bytes outside a rewrite survive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Confidence(StrEnum):
    """How well a hardened image matches the original reference."""

    exact = "exact"  # same family and version (at the granularity the catalog offers)
    family = "family"  # same family, nearest version offered (said which)
    suggestion = "suggestion"  # a substitute (mysql -> mariadb, a database major): never rewritten
    none = "none"  # nothing in the catalog
    hardened = "hardened"  # already a hardbake image


#: confidences that `apply` rewrites (with `--exact-only`, only `exact`)
REWRITABLE = (Confidence.exact, Confidence.family)


class Severity(StrEnum):
    blocker = "blocker"  # left untouched: the change cannot be made safely
    warning = "warning"  # changed, but a person should check this
    change = "change"  # what was rewritten (ports, users, forms) beyond the reference itself
    info = "info"


class UseKind(StrEnum):
    from_ = "from"  # Dockerfile FROM
    copy_from = "copy-from"  # COPY --from=IMAGE / RUN --mount=from=IMAGE: listed, never rewritten
    compose = "compose"
    kubernetes = "kubernetes"


class FileKind(StrEnum):
    dockerfile = "dockerfile"
    compose = "compose"
    kubernetes = "kubernetes"


@dataclass(frozen=True)
class Match:
    """The hardened equivalent of one reference, and how sure the mapping is."""

    confidence: Confidence
    note: str
    family: str | None = None
    version: str | None = None
    distro: str | None = None
    runtime: str | None = None  # PREFIX/family:tag of the runtime variant
    dev: str | None = None  # PREFIX/family:tag of the -dev variant, if the catalog has one
    pinned_distro: bool = False  # the original named its distro, so the hardened tag names it too

    def __post_init__(self) -> None:
        if self.confidence in (Confidence.exact, Confidence.family, Confidence.suggestion) and not (
            self.family and self.runtime
        ):
            raise ValueError(f"a {self.confidence} match needs a family and a runtime reference")

    def to_json(self) -> dict[str, Any]:
        return {
            "confidence": self.confidence.value,
            "note": self.note,
            "family": self.family,
            "version": self.version,
            "distro": self.distro,
            "runtime": self.runtime,
            "dev": self.dev,
        }


@dataclass(frozen=True)
class ImageUse:
    """One image reference found in a file."""

    file: str  # path relative to the scanned root
    line: int
    kind: UseKind
    context: str  # stage, service or container it belongs to
    text: str  # as written
    resolved: str | None  # after ARG / variable substitution; None if a variable has no value
    reference: str | None  # normalised: docker.io/library/node:20
    match: Match
    variant: str = "runtime"  # which variant the rewrite uses: runtime | dev

    @property
    def hardened(self) -> str | None:
        return self.match.dev if self.variant == "dev" else self.match.runtime

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "kind": self.kind.value,
            "context": self.context,
            "text": self.text,
            "resolved": self.resolved,
            "reference": self.reference,
            "hardened": self.hardened,
            "variant": self.variant,
            **{k: v for k, v in self.match.to_json().items() if k not in ("runtime", "dev")},
        }


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    severity: Severity
    code: str  # short stable id: shell-cmd, pep668-venv, port-8080, ...
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class Problem:
    """A file that could not be read as what its name says (nothing of it is rewritten)."""

    file: str
    message: str
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True, order=True)
class Edit:
    """Replace text[start:end] (character offsets of the decoded file) with `text`."""

    start: int
    end: int
    text: str

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad edit span {self.start}..{self.end}")


@dataclass(frozen=True)
class FileReport:
    """What one file holds and what `apply` would do to it (and to files it names)."""

    path: str  # relative to the scanned root
    kind: FileKind
    uses: tuple[ImageUse, ...] = ()
    findings: tuple[Finding, ...] = ()
    edits: Mapping[str, tuple[Edit, ...]] = field(default_factory=dict)  # relative path -> edits

    @property
    def blockers(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.blocker)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.warning)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind.value,
            "uses": [u.to_json() for u in self.uses],
            "findings": [f.to_json() for f in self.findings],
            "rewrites": sorted(p for p, es in self.edits.items() if es),
        }


@dataclass(frozen=True)
class Inventory:
    root: str
    files: tuple[FileReport, ...]
    problems: tuple[Problem, ...]  # files that could not be read as what they claim to be
    skipped: tuple[Problem, ...] = ()  # deliberately not read (symlinks, templates), with why

    @property
    def uses(self) -> tuple[ImageUse, ...]:
        return tuple(u for f in self.files for u in f.uses)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(x for f in self.files for x in f.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "files": [f.to_json() for f in self.files],
            "problems": [p.to_json() for p in self.problems],
            "skipped": [p.to_json() for p in self.skipped],
        }
