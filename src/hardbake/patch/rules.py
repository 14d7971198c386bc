"""When a package can be replaced in place: the relationship rules `hardbake patch` enforces.

dpkg would refuse, or need other packages first, in these cases; so does `hardbake patch`,
saying which relation failed (the fix is then a rebuild of the image):

* **Depends**: every dependency of the new version must be satisfied by the image as
  patched (packages already installed, at their new versions when they are patched too, or
  their Provides). A new dependency the image lacks is refused: adding packages is a
  rebuild, not a patch.
* **Pre-Depends**: if they changed, they must already be satisfied by the image as it is
  (dpkg needs them configured before it unpacks anything).
* **Conflicts / Breaks** of the new version must not hit an installed package, and no
  installed package may conflict with or break the new version.
* **Reverse dependencies**: every installed package that depends on a patched one must
  still be satisfied (siblings of one source often depend on `(= ${binary:Version})`: they
  are patched together or not at all).

`settle` applies the rules to a whole set of candidate updates until nothing changes: a
package refused takes the updates that needed its new version with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hardbake.debian.relations import Group, Relation, parse_provides, parse_relations
from hardbake.debian.version import DebVersion
from hardbake.patch.dpkgdb import Stanza


@dataclass(frozen=True)
class World:
    """What is installed: name -> (version, stanza), and who provides what."""

    packages: Mapping[str, tuple[DebVersion, Stanza]]

    def provides(self, name: str) -> list[DebVersion | None]:
        out: list[DebVersion | None] = []
        for _, (_, st) in self.packages.items():
            for p in parse_provides(st.get("Provides") or ""):
                if p.name == name:
                    out.append(p.version if p.op == "=" else None)
        return out

    def satisfies(self, rel: Relation) -> bool:
        hit = self.packages.get(rel.name)
        if hit is not None and rel.matches_version(hit[0]):
            return True
        for v in self.provides(rel.name):
            if rel.op is None or (v is not None and rel.matches_version(v)):
                return True
        return False

    def group_ok(self, group: Group) -> bool:
        return any(self.satisfies(r) for r in group)

    def with_updates(self, updates: Mapping[str, Stanza]) -> World:
        pk = dict(self.packages)
        for name, st in updates.items():
            pk[name] = (DebVersion(st.get("Version") or "0"), st)
        return World(pk)


def _groups(st: Stanza, field: str) -> tuple[Group, ...]:
    return parse_relations(st.get(field) or "")


def _text(group: Group) -> str:
    return " | ".join(str(r) for r in group)


def problems(name: str, new: Stanza, old: Stanza, before: World, after: World) -> list[str]:
    """Why `name` cannot move from `old` to `new` in place (empty: it can)."""
    out = []
    for g in _groups(new, "Depends"):
        if not after.group_ok(g):
            have = after.packages.get(g[0].name)
            now = f" (the image has {have[0]})" if have else " (the image does not have it)"
            out.append(f"new dependency {_text(g)} is not satisfied{now}")
    if (new.get("Pre-Depends") or "").strip() != (old.get("Pre-Depends") or "").strip():
        for g in _groups(new, "Pre-Depends"):
            if not before.group_ok(g):
                out.append(f"Pre-Depends changed: {_text(g)} is not already satisfied by the image")
    for field in ("Conflicts", "Breaks"):
        for g in _groups(new, field):
            for r in g:
                if r.name != name and r.name in after.packages and after.satisfies(r):
                    out.append(f"the new version {field.lower()} installed {r}")
    return out


def reverse_problems(updated: Iterable[str], after: World) -> dict[str, list[str]]:
    """Installed packages whose Depends/Conflicts/Breaks the patched versions violate, by patched name."""
    names = set(updated)
    out: dict[str, list[str]] = {}
    for other, (_, st) in after.packages.items():
        for g in _groups(st, "Depends") + _groups(st, "Pre-Depends"):
            touched = [r.name for r in g if r.name in names]
            if touched and not after.group_ok(g):
                for t in touched:
                    out.setdefault(t, []).append(f"installed {other} depends on {_text(g)}")
        for field in ("Conflicts", "Breaks"):
            for g in _groups(st, field):
                for r in g:
                    if r.name in names and r.name != other and after.satisfies(r):
                        out.setdefault(r.name, []).append(f"installed {other} {field.lower()} {r}")
    return out


def settle(
    candidates: Mapping[str, tuple[Stanza, Stanza]], before: World, refused: dict[str, list[str]]
) -> dict[str, tuple[Stanza, Stanza]]:
    """The largest set of (old, new) updates that passes every rule; `refused` gets the rest."""
    accepted = dict(candidates)
    while True:
        after = before.with_updates({n: new for n, (_, new) in accepted.items()})
        bad: dict[str, list[str]] = {}
        for n, (old, new) in accepted.items():
            p = problems(n, new, old, before, after)
            if p:
                bad[n] = p
        for n, p in reverse_problems(accepted, after).items():
            if n in accepted:
                bad.setdefault(n, []).extend(p)
        if not bad:
            return accepted
        for n, p in bad.items():
            refused.setdefault(n, []).extend(x for x in p if x not in refused.get(n, []))
            del accepted[n]
