"""All the packages an image may be built from: several indices, in priority order.

Suites are given most-trusted first (security > updates > release, then extra repositories);
for one package name the highest version wins whichever suite has it, and on equal versions
the earlier suite wins, so a security rebuild of the same version is preferred.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hardbake.debian.packages import PRIORITY_RANK, PackageRecord, PackagesIndex
from hardbake.debian.relations import Relation, parse_provides
from hardbake.debian.version import DebVersion


@dataclass(frozen=True)
class Provided:
    """A package that provides a virtual name, with the version it provides (if any)."""

    record: PackageRecord
    version: DebVersion | None


class Universe:
    def __init__(self, indices: Sequence[PackagesIndex], arch: str) -> None:
        self.indices = tuple(indices)
        self.arch = arch
        self._named: dict[str, list[PackageRecord]] = {}
        self._provided: dict[str, list[Provided]] = {}

    def _arch_ok(self, rec: PackageRecord) -> bool:
        return rec.architecture in (self.arch, "all")

    def named(self, name: str) -> list[PackageRecord]:
        """Real packages called `name`, best first (highest version, then suite priority)."""
        hit = self._named.get(name)
        if hit is None:
            found: list[tuple[int, PackageRecord]] = []
            for prio, idx in enumerate(self.indices):
                found.extend((prio, r) for r in idx.named(name) if self._arch_ok(r))
            # stable sort: on equal versions the earlier (more trusted) suite stays first
            found.sort(key=lambda pr: pr[0])
            found.sort(key=lambda pr: pr[1].version.key, reverse=True)
            hit = self._named[name] = [r for _, r in found]
        return hit

    def providers(self, name: str) -> list[Provided]:
        """Packages whose Provides names `name`, by Priority, then name, then best version."""
        hit = self._provided.get(name)
        if hit is None:
            out: list[tuple[int, Provided]] = []
            for prio, idx in enumerate(self.indices):
                for rec in idx.providing(name):
                    if not self._arch_ok(rec):
                        continue
                    for p in parse_provides(rec.provides):
                        if p.name == name:
                            out.append((prio, Provided(rec, p.version if p.op == "=" else None)))
            out.sort(key=lambda pp: pp[0])
            out.sort(key=lambda pp: pp[1].record.version.key, reverse=True)
            out.sort(key=lambda pp: (PRIORITY_RANK.get(pp[1].record.priority, 9), pp[1].record.name))
            hit = self._provided[name] = [p for _, p in out]
        return hit

    def essential(self) -> list[str]:
        """Every Essential package of the architecture (what a Debian system always has)."""
        names: set[str] = set()
        for idx in self.indices:
            names.update(n for n in idx.essential() if any(self._arch_ok(r) for r in idx.named(n)))
        return sorted(names)

    def versions(self, name: str) -> list[str]:
        return [f"{r.version} ({r.suite})" for r in self.named(name)]

    def satisfiers(self, rel: Relation) -> list[PackageRecord]:
        """Candidates for one alternative, real packages first, then providers (Policy 7.5)."""
        out = [r for r in self.named(rel.name) if rel.matches_version(r.version) and _ma_ok(rel, r)]
        for p in self.providers(rel.name):
            if rel.op is None:
                ok = True
            else:  # a versioned dependency is satisfied only by a versioned Provides
                ok = p.version is not None and rel.matches_version(p.version)
            if ok and _ma_ok(rel, p.record) and p.record not in out:
                out.append(p.record)
        return out


def _ma_ok(rel: Relation, rec: PackageRecord) -> bool:
    """Multi-Arch qualifiers (multiarch spec): `pkg:any` needs `Multi-Arch: allowed`."""
    if rel.archqual is None or rel.archqual == "native":
        return True
    if rel.archqual == "any":
        return rec.multi_arch == "allowed"
    return rec.architecture == rel.archqual
