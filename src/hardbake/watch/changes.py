"""Why an image must be rebuilt: its published lock against what the archive offers now.

The comparison is per architecture and per package (name -> version and .deb sha256), for
the image's own packages and for those of the image it extends (`lock.parent`). Any
difference, a new spec digest, a changed set of architectures, no published image yet, or a
watched parent being rebuilt (the cascade) makes a rebuild; each is a human-readable reason,
which `watch --dry-run` prints and the state DB keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hardbake.build.plan import ImageLock
from hardbake.debian.lock import ArchLock, LockedPackage
from hardbake.debian.version import DebVersion


@dataclass(frozen=True)
class PackageChange:
    name: str
    arch: str
    old: str | None  # None: the package is new in the image
    new: str | None  # None: the package left the image
    source: str
    suite: str | None = None  # where the new version comes from
    base: bool = False  # a package of the parent image (extends:)
    rebuilt: bool = False  # same version, other .deb (a rebuild in another suite)

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        if self.rebuilt:
            return "rebuilt"
        return "upgraded" if DebVersion(self.new) > DebVersion(self.old) else "downgraded"

    def describe(self) -> str:
        where = f" [{self.suite}]" if self.suite and self.new else ""
        base = " (base image)" if self.base else ""
        if self.old is None:
            return f"{self.name} added at {self.new}{where}{base}"
        if self.new is None:
            return f"{self.name} {self.old} removed{base}"
        if self.rebuilt:
            return f"{self.name} {self.new} rebuilt (new .deb){where}{base}"
        return f"{self.name} {self.old} -> {self.new}{where}{base}"

    def to_json(self) -> dict[str, Any]:
        return {
            "package": self.name,
            "arch": self.arch,
            "old": self.old,
            "new": self.new,
            "source": self.source,
            "suite": self.suite,
            "base": self.base,
            "kind": self.kind,
        }


def _by_name(lock: ArchLock | None) -> dict[str, LockedPackage]:
    return {p.name: p for p in lock.packages} if lock is not None else {}


def _arch_changes(old: ArchLock | None, new: ArchLock | None, arch: str, base: bool) -> list[PackageChange]:
    a, b = _by_name(old), _by_name(new)
    out = []
    for name in sorted(set(a) | set(b)):
        o, n = a.get(name), b.get(name)
        if o is not None and n is not None and o.version == n.version and o.sha256 == n.sha256:
            continue
        src = (n or o).source  # type: ignore[union-attr]
        rebuilt = o is not None and n is not None and o.version == n.version
        out.append(
            PackageChange(
                name,
                arch,
                o.version if o else None,
                n.version if n else None,
                src,
                n.suite if n else None,
                base,
                rebuilt,
            )
        )
    return out


def diff_locks(old: ImageLock, new: ImageLock) -> list[PackageChange]:
    """Every package difference, architecture by architecture; the parent's too."""
    out: list[PackageChange] = []
    for arch in sorted(set(old.arches) | set(new.arches)):
        out += _arch_changes(old.arches.get(arch), new.arches.get(arch), arch, False)
        if old.parent is not None or new.parent is not None:
            op = old.parent.arches.get(arch) if old.parent else None
            np = new.parent.arches.get(arch) if new.parent else None
            out += _arch_changes(op, np, arch, True)
    return out


def collapse(changes: list[PackageChange]) -> list[PackageChange]:
    """One line per package and version move (the same change on several architectures once)."""
    seen: dict[tuple[str, str | None, str | None, bool], PackageChange] = {}
    for c in changes:
        seen.setdefault((c.name, c.old, c.new, c.base), c)
    return list(seen.values())


@dataclass(frozen=True)
class Decision:
    """Whether one image rebuilds, and why."""

    target: str
    rebuild: bool
    reasons: tuple[str, ...]
    changes: tuple[PackageChange, ...] = ()
    lock: ImageLock | None = field(default=None, repr=False)  # what the archive offers now

    def to_json(self) -> dict[str, Any]:
        return {
            "image": self.target,
            "rebuild": self.rebuild,
            "reasons": list(self.reasons),
            "changes": [c.to_json() for c in collapse(list(self.changes))],
        }


def decide(
    target: str, published: ImageLock | None, now: ImageLock, parent_rebuilding: str | None = None
) -> Decision:
    """Compare the published lock (None: never built) with the lock of the archive as it is now."""
    if published is None:
        return Decision(target, True, ("not built yet (no state for this image)",), (), now)
    reasons: list[str] = []
    if published.spec_digest != now.spec_digest:
        reasons.append(f"spec changed ({published.spec_digest[:19]}… -> {now.spec_digest[:19]}…)")
    if set(published.arches) != set(now.arches):
        reasons.append(
            f"architectures changed ({', '.join(sorted(published.arches))} -> {', '.join(sorted(now.arches))})"
        )
    changes = diff_locks(published, now)
    if changes:
        shown = collapse(changes)
        head = "; ".join(c.describe() for c in shown[:8])
        more = f"; and {len(shown) - 8} more" if len(shown) > 8 else ""
        reasons.append(f"packages changed: {head}{more}")
    if parent_rebuilding is not None:
        reasons.append(f"its base {parent_rebuilding} is being rebuilt")
    return Decision(target, bool(reasons), tuple(reasons) or ("unchanged",), tuple(changes), now)
