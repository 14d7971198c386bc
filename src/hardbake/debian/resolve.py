"""The dependency resolver: package names in, a closed, conflict-free, deterministic set out.

Rules (Debian Policy 7): Depends and Pre-Depends with version relations; alternatives
(`a | b`: the first that resolves wins, unless another is already installed); virtual
packages through Provides, versioned Provides satisfying versioned dependencies; Multi-Arch
qualifiers; Conflicts and Breaks refused with both packages named. Recommends and Suggests
are never installed, and Essential packages are never added implicitly: an image gets what
its packages depend on, nothing else.

Runtime images often must not carry what Debian's dependencies drag in, so a request may
`drop` a package with a reason: every dependency edge that would pull it in is cut and
recorded (from, relation, reason), and what only it pulled in never enters. An `exclude`
without a reason only forbids a package; if a dependency then cannot be met another way,
that is an error naming the chain.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hardbake.debian.packages import PackageRecord
from hardbake.debian.relations import Group, Relation, group_str, parse_provides, parse_relations
from hardbake.debian.universe import Universe
from hardbake.debian.version import DebVersion
from hardbake.errors import InputError


class ResolveError(InputError):
    """The request cannot be met by the archive (exit 2: fix the request)."""


class ConflictError(ResolveError):
    pass


@dataclass(frozen=True)
class Requirement:
    name: str
    version: DebVersion | None = None

    @classmethod
    def parse(cls, text: str) -> Requirement:
        name, sep, ver = text.partition("=")
        name = name.strip()
        if not name:
            raise InputError(f"empty package name in {text!r}")
        return cls(name, DebVersion(ver.strip()) if sep else None)

    def __str__(self) -> str:
        return self.name + (f"={self.version}" if self.version else "")


@dataclass(frozen=True)
class Drop:
    package: str
    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise InputError(
                f"drop of {self.package!r} needs a reason", hint="say why the image must not carry it"
            )


@dataclass(frozen=True)
class Request:
    requirements: tuple[Requirement, ...]
    exclude: frozenset[str] = frozenset()
    drops: tuple[Drop, ...] = ()
    #: versions any package must have if it is pulled in (an extended image keeps its parent's)
    pins: tuple[Requirement, ...] = ()

    @classmethod
    def from_args(cls, items: Iterable[str], drops: Mapping[str, str] | None = None) -> Request:
        """`pkg`, `pkg=version` and `!pkg` items, as the CLI and specs write them."""
        reqs: list[Requirement] = []
        excl: set[str] = set()
        for it in items:
            it = it.strip()
            if it.startswith("!"):
                excl.add(it[1:].strip())
            elif it:
                reqs.append(Requirement.parse(it))
        return cls(tuple(reqs), frozenset(excl), tuple(Drop(k, v) for k, v in sorted((drops or {}).items())))


@dataclass(frozen=True)
class CutEdge:
    """A dependency the resolver did not follow because the request dropped its target."""

    package: str  # the package whose dependency was cut
    field: str  # Depends or Pre-Depends
    relation: str  # the whole dependency group as written
    dropped: str
    reason: str


@dataclass(frozen=True)
class Selected:
    record: PackageRecord
    required_by: str | None  # parent package; None for a requested root
    via: str | None  # the dependency group of the parent that pulled it in


@dataclass(frozen=True)
class Resolution:
    arch: str
    request: Request
    packages: dict[str, Selected]
    cuts: tuple[CutEdge, ...]
    unused_drops: tuple[str, ...] = field(default=())

    def records(self) -> list[PackageRecord]:
        return [self.packages[n].record for n in sorted(self.packages)]


class _State:
    def __init__(self, universe: Universe, request: Request) -> None:
        self.u = universe
        self.req = request
        self.selected: dict[str, Selected] = {}
        self.cuts: list[CutEdge] = []
        self.drops = {d.package: d.reason for d in request.drops}
        self.used_drops: set[str] = set()
        self.pins = {
            r.name: r.version for r in (*request.pins, *request.requirements) if r.version is not None
        }
        self.queue: deque[tuple[str, str, Group]] = deque()

    def chain(self, name: str) -> str:
        parts: list[str] = []
        cur: str | None = name
        while cur is not None and cur not in parts:
            parts.append(cur)
            cur = self.selected[cur].required_by if cur in self.selected else None
        return " -> ".join(reversed(parts))

    # -- candidates -------------------------------------------------------------------------

    def candidates(self, rel: Relation) -> list[PackageRecord]:
        out = []
        for c in self.u.satisfiers(rel):
            if c.name in self.req.exclude or c.name in self.drops:
                continue
            pin = self.pins.get(c.name)
            if pin is not None and c.version != pin:
                continue
            out.append(c)
        return out

    def installed_satisfies(self, rel: Relation) -> bool:
        sel = self.selected.get(rel.name)
        if sel is not None and rel.matches_version(sel.record.version):
            return True
        for p in self.u.providers(rel.name):
            s = self.selected.get(p.record.name)
            if s is None or s.record.key != p.record.key:
                continue
            if rel.op is None or (p.version is not None and rel.matches_version(p.version)):
                return True
        return False

    def conflict(self, cand: PackageRecord) -> tuple[str, str] | None:
        """The first (selected package, relation) that cannot coexist with `cand`, if any."""
        for fld in (cand.conflicts, cand.breaks):
            for group in parse_relations(fld):
                for rel in group:
                    for other in self._matching_selected(rel, exclude=cand.name):
                        return other, f"{cand.name} conflicts with {rel}"
        for name, sel in self.selected.items():
            for fld in (sel.record.conflicts, sel.record.breaks):
                for group in parse_relations(fld):
                    for rel in group:
                        if rel.name == cand.name and rel.matches_version(cand.version) and name != cand.name:
                            return name, f"{name} conflicts with {rel}"
                        if rel.op is None and rel.name != name and rel.name in _provided_names(cand):
                            return name, f"{name} conflicts with {rel} (provided by {cand.name})"
        return None

    def _matching_selected(self, rel: Relation, exclude: str) -> list[str]:
        out = []
        sel = self.selected.get(rel.name)
        if sel is not None and rel.name != exclude and rel.matches_version(sel.record.version):
            out.append(rel.name)
        if rel.op is None:
            for name, s in self.selected.items():
                if name != exclude and name != rel.name and rel.name in _provided_names(s.record):
                    out.append(name)
        return out

    # -- selection --------------------------------------------------------------------------

    def add(self, rec: PackageRecord, parent: str | None, via: str | None) -> None:
        self.selected[rec.name] = Selected(rec, parent, via)
        for fld, text in (("Pre-Depends", rec.pre_depends), ("Depends", rec.depends)):
            for group in parse_relations(text):
                self.queue.append((rec.name, fld, group))

    def root(self, req: Requirement) -> None:
        if req.name in self.drops:
            raise ResolveError(f"{req.name} is both requested and dropped ({self.drops[req.name]})")
        if req.name in self.req.exclude:
            raise ResolveError(f"{req.name} is both requested and excluded")
        if req.name in self.selected:
            return
        rel = Relation(req.name, "=" if req.version else None, req.version)
        cands = self.candidates(rel)
        if not cands:
            raise ResolveError(self.explain_missing(rel, None), hint=self._versions_hint(rel))
        for c in cands:
            hit = self.conflict(c)
            if hit is None:
                self.add(c, None, None)
                return
        other, why = self.conflict(cands[0]) or ("?", "")
        raise ConflictError(f"{cands[0]} cannot be installed with {other}: {why}")

    def resolve_group(self, parent: str, fld: str, group: Group) -> None:
        group = tuple(r for r in group if r.applies_to(self.u.arch))
        if not group or any(self.installed_satisfies(r) for r in group):
            return
        tried: list[str] = []
        conflicts: list[str] = []
        for rel in group:
            if rel.name in self.drops:
                self.cuts.append(CutEdge(parent, fld, group_str(group), rel.name, self.drops[rel.name]))
                self.used_drops.add(rel.name)
                return
            if rel.name in self.req.exclude:
                tried.append(f"{rel.name} is excluded")
                continue
            cands = self.candidates(rel)
            if not cands:
                tried.append(self.explain_missing(rel, parent))
                continue
            for c in cands:
                hit = self.conflict(c)
                if hit is None:
                    self.add(c, parent, f"{fld}: {group_str(group)}")
                    return
                conflicts.append(f"{c} conflicts with {hit[0]} ({hit[1]})")
        where = f"{self.chain(parent)} {fld} {group_str(group)}"
        if conflicts:
            raise ConflictError(f"cannot satisfy {where}: " + "; ".join(conflicts + tried))
        raise ResolveError(
            f"cannot satisfy {where}: " + "; ".join(tried),
            hint="drop the dependency with a reason (drop:) if the image really must not carry it",
        )

    def explain_missing(self, rel: Relation, parent: str | None) -> str:
        have = self.u.versions(rel.name)
        if rel.name in self.pins:
            return f"{rel.name} is pinned to {self.pins[rel.name]}, available: {', '.join(have) or 'none'}"
        if have:
            return f"no version of {rel.name} satisfies {rel} (available: {', '.join(have)})"
        if self.u.providers(rel.name):
            return f"no provider of virtual {rel.name} satisfies {rel}"
        return f"package {rel.name} does not exist in {', '.join(i.suite for i in self.u.indices)}"

    def _versions_hint(self, rel: Relation) -> str | None:
        have = self.u.versions(rel.name)
        return f"available: {', '.join(have)}" if have else "check the package name and the suites"


def _provided_names(rec: PackageRecord) -> frozenset[str]:
    return frozenset(p.name for p in parse_provides(rec.provides))


def resolve(universe: Universe, request: Request) -> Resolution:
    """Resolve `request` against `universe`; deterministic for the same inputs."""
    st = _State(universe, request)
    for req in request.requirements:
        st.root(req)
        while st.queue:
            st.resolve_group(*st.queue.popleft())
    unused = tuple(sorted(set(st.drops) - st.used_drops))
    return Resolution(
        arch=universe.arch,
        request=request,
        packages=dict(sorted(st.selected.items())),
        cuts=tuple(st.cuts),
        unused_drops=unused,
    )


def resolve_names(
    universe: Universe, names: Sequence[str], drops: Mapping[str, str] | None = None
) -> Resolution:
    return resolve(universe, Request.from_args(names, drops))
