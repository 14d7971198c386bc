"""Package relationship fields (Depends, Pre-Depends, Provides, Conflicts, Breaks), typed.

Parsing is python-debian's `PkgRelation` (Debian Policy 7.1 grammar: alternatives,
version relations, `:any`/`:native` qualifiers, arch restrictions, build profiles); this
module turns its dicts into frozen value types and caches them, since the same strings
(`libc6 (>= 2.36)`) recur across hundreds of packages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from debian.deb822 import PkgRelation

from hardbake.debian.version import DebVersion, satisfies
from hardbake.errors import InputError


@dataclass(frozen=True)
class Relation:
    """One alternative: `name[:archqual] [(op version)]`."""

    name: str
    op: str | None = None
    version: DebVersion | None = None
    archqual: str | None = None  # any, native, or an architecture name
    arches: tuple[str, ...] = ()  # [amd64 !i386] restrictions (source packages only)

    def matches_version(self, v: DebVersion) -> bool:
        if self.op is None or self.version is None:
            return True
        return satisfies(v, self.op, self.version)

    def applies_to(self, arch: str) -> bool:
        if not self.arches:
            return True
        positive = [a for a in self.arches if not a.startswith("!")]
        if any(a == f"!{arch}" for a in self.arches):
            return False
        return not positive or arch in positive

    def __str__(self) -> str:
        s = self.name + (f":{self.archqual}" if self.archqual else "")
        if self.op:
            s += f" ({self.op} {self.version})"
        return s


Group = tuple[Relation, ...]  # alternatives: a | b | c


@lru_cache(maxsize=65536)
def parse_relations(text: str) -> tuple[Group, ...]:
    """`a (>= 1) | b, c:any` -> ((a>=1, b), (c:any,))."""
    if not text.strip():
        return ()
    try:
        parsed = PkgRelation.parse_relations(text)
    except Exception as e:  # python-debian raises plain ValueError/IndexError on junk
        raise InputError(f"malformed relationship field {text!r}: {e}") from e
    groups: list[Group] = []
    for alternatives in parsed:
        rels: list[Relation] = []
        for d in alternatives:
            if not d.get("name"):
                continue
            ver = d.get("version")
            arches = tuple(("" if a.enabled else "!") + a.arch for a in (d.get("arch") or ()))
            try:
                version = DebVersion(ver[1]) if ver else None
            except InputError as e:
                raise InputError(f"malformed version in relationship {text!r}: {e.message}") from e
            rels.append(
                Relation(
                    name=d["name"],
                    op=ver[0] if ver else None,
                    version=version,
                    archqual=d.get("archqual"),
                    arches=arches,
                )
            )
        if rels:
            groups.append(tuple(rels))
    return tuple(groups)


@lru_cache(maxsize=65536)
def parse_provides(text: str) -> tuple[Relation, ...]:
    """Provides entries: `name` or `name (= version)` (Policy 7.5: only '=' is allowed)."""
    return tuple(g[0] for g in parse_relations(text))


def group_str(group: Group) -> str:
    return " | ".join(str(r) for r in group)
