"""What `hardbake watch` keeps patched: spec files and catalog images, parents before children.

A target is named like a catalog image (`family:first-tag`, the key in the state DB) and is
published under every tag of its catalog entry (`python:3.13`, `python:3.13-debian13`,
`python:latest`); a spec file is published under the tag `hardbake build` gives it. When a
target `extends:` another watched target, the other one is its *parent*: the order puts
parents first, so a rebuilt base is known before its children are decided (the cascade).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hardbake.errors import InputError
from hardbake.spec import catalog
from hardbake.spec.extend import parent_of
from hardbake.spec.load import LoadedSpec, load


@dataclass(frozen=True)
class Target:
    name: str  # family:tag, the image's key in the state DB
    family: str
    tags: tuple[str, ...]
    spec_path: Path  # absolute
    distro: str
    archs: tuple[str, ...]
    parent: str | None = None  # the watched target this one extends

    def repository(self, prefix: str) -> str:
        """Where the image is published: `PREFIX/<family>` (catalog naming)."""
        return f"{prefix.rstrip('/')}/{self.family}"


def _from_spec(path: Path) -> tuple[LoadedSpec, tuple[str, ...]]:
    loaded = load(path)
    tag = loaded.spec.version or "latest"
    if loaded.spec.variant.value == "dev" and not tag.endswith("-dev"):
        tag += "-dev"
    return loaded, (tag,)


def _one(ref: str) -> tuple[LoadedSpec, str, tuple[str, ...]]:
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise InputError(f"spec {ref} does not exist", hint="give a spec file or a catalog name")
        loaded, tags = _from_spec(p.resolve())
        return loaded, loaded.spec.name, tags
    entry = catalog.find(ref)
    return entry.load(), entry.family, entry.tags


def select(refs: Sequence[str]) -> list[Target]:
    """Targets for spec paths and catalog names; none given: every image of the shipped catalog."""
    found: list[tuple[LoadedSpec, str, tuple[str, ...]]] = []
    if refs:
        found = [_one(r) for r in refs]
    else:
        found = [(e.load(), e.family, e.tags) for e in catalog.entries()]
    by_path: dict[Path, str] = {}
    names: list[str] = []
    for loaded, family, tags in found:
        name = f"{family}:{tags[0]}"
        if name in names:
            raise InputError(f"{name} is named twice", hint="each image can be watched once")
        names.append(name)
        by_path[loaded.path.resolve()] = name
    targets = []
    for (loaded, family, tags), name in zip(found, names, strict=True):
        parent = None
        if loaded.spec.extends is not None:
            parent = by_path.get(parent_of(loaded).path.resolve())
        s = loaded.spec
        targets.append(Target(name, family, tags, loaded.path.resolve(), s.distro, tuple(s.archs), parent))
    return order(targets)


def order(targets: Sequence[Target]) -> list[Target]:
    """Parents before children, otherwise in the order given (a stable topological sort)."""
    by_name = {t.name: t for t in targets}
    done: list[Target] = []
    seen: set[str] = set()

    def visit(t: Target, path: tuple[str, ...]) -> None:
        if t.name in seen:
            return
        if t.name in path:
            raise InputError(f"`extends:` loop: {' -> '.join((*path, t.name))}")
        if t.parent is not None and t.parent in by_name:
            visit(by_name[t.parent], (*path, t.name))
        seen.add(t.name)
        done.append(t)

    for t in targets:
        visit(t, ())
    return done
