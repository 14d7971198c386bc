"""The shipped catalog: one spec file per image version and variant, and the names users type.

Layout: `hardbake/catalog/<family>/<distro>/<version or family>[-dev].yaml`, e.g.
`python/debian-13/3.13.yaml` and `3.13-dev.yaml`, or `base/debian-12/base.yaml`.

Names follow the CLI conventions: `FAMILY:TAG` where TAG is
`<version>[-<distro tag>][-dev]` (`python:3.13`, `python:3.13-debian13`, `python:3.13-dev`)
or, for version-less families, `<distro tag>[-dev]` (`base:debian12`, `static:debian13`).
A bare family (`python`) means its newest version's runtime image.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hardbake import distro as distros
from hardbake.errors import InputError
from hardbake.spec.load import LoadedSpec, load

#: families people ask for that Debian does not ship, with the honest answer
NOT_IN_DEBIAN = {
    "dotnet": ".NET is not in Debian's archive, so hardbake cannot build it from public Debian sources; "
    "Microsoft ships it from its own repositories.",
    "aspnet": ".NET (ASP.NET Core) is not in Debian's archive, so hardbake cannot build it from public Debian sources.",
}


@dataclass(frozen=True)
class CatalogEntry:
    family: str
    version: str | None
    distro: str  # debian-12
    variant: str  # runtime | dev
    path: Path
    tags: tuple[str, ...]
    archs: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.family}:{self.tags[0]}"

    def load(self) -> LoadedSpec:
        return load(self.path)


def catalog_root() -> Path:
    return Path(str(resources.files("hardbake") / "catalog"))


def _version_key(v: str | None) -> tuple[int, ...]:
    if v is None:
        return ()
    return tuple(int(p) if p.isdigit() else 0 for p in v.replace("-", ".").split("."))


def entries(root: Path | None = None) -> list[CatalogEntry]:
    """Every catalog image, sorted by family, version, distro, variant.

    Parsing every spec takes seconds (position-tracking YAML), and one `hardbake test` looks
    names up several times, so the result is kept per (file, mtime, size) set."""
    root = root or catalog_root()
    files = sorted(root.glob("*/*/*.yaml"))
    key = tuple((str(p), st.st_mtime_ns, st.st_size) for p in files for st in [p.stat()])
    return list(_entries(root, key))


@functools.lru_cache(maxsize=4)
def _entries(root: Path, files: tuple[tuple[str, int, int], ...]) -> tuple[CatalogEntry, ...]:
    found: list[tuple[str, str | None, str, str, Path, tuple[str, ...]]] = []
    for path in (Path(f[0]) for f in files):
        loaded = load(path)
        s = loaded.spec
        family = path.parent.parent.name
        if s.name != family or s.distro != path.parent.name:
            raise InputError(
                f"{path}: name/distro ({s.name}, {s.distro}) do not match its place in the catalog"
            )
        found.append((family, s.version, s.distro, s.variant.value, path, tuple(s.archs)))
    # the newest distro of each (family, version) also answers to the short tag
    newest: dict[tuple[str, str | None], str] = {}
    for fam, ver, dist, _, _, _ in found:
        key = (fam, ver)
        if key not in newest or dist > newest[key]:
            newest[key] = dist
    newest_distro: dict[str, str] = {}
    for fam, _, dist, _, _, _ in found:
        if fam not in newest_distro or dist > newest_distro[fam]:
            newest_distro[fam] = dist
    out = []
    for fam, ver, dist, variant, path, archs in found:
        dtag = distros.get(dist).tag
        suffix = "-dev" if variant == "dev" else ""
        tags: list[str] = []
        if ver is not None:
            tags.append(f"{ver}{suffix}")
            tags.append(f"{ver}-{dtag}{suffix}")
            if newest[(fam, ver)] != dist:
                tags.pop(0)  # the short tag belongs to the newest distro of that version
        else:
            tags.append(f"{dtag}{suffix}")
            if newest_distro[fam] == dist:
                tags.append("latest" + suffix)
        out.append(CatalogEntry(fam, ver, dist, variant, path, tuple(tags), archs))
    # "latest" for versioned families: the newest version's runtime image
    by_family: dict[str, list[CatalogEntry]] = {}
    for e in out:
        by_family.setdefault(e.family, []).append(e)
    final = []
    for es in by_family.values():
        versioned = [e for e in es if e.version is not None]
        if versioned:
            top = max(versioned, key=lambda e: (_version_key(e.version), e.distro))
            es = [
                CatalogEntry(
                    e.family,
                    e.version,
                    e.distro,
                    e.variant,
                    e.path,
                    (*e.tags, "latest" + ("-dev" if e.variant == "dev" else "")),
                    e.archs,
                )
                if (e.version, e.distro) == (top.version, top.distro)
                else e
                for e in es
            ]
        final.extend(es)
    return tuple(sorted(final, key=lambda e: (e.family, _version_key(e.version), e.distro, e.variant)))


def is_catalog_name(text: str) -> bool:
    """`python:3.13`, `base:debian12`, `python` - not a path, not a transport reference."""
    return (
        "/" not in text and not text.endswith((".yaml", ".yml")) and not text.startswith(("oci:", "docker"))
    )


def find(name: str, root: Path | None = None) -> CatalogEntry:
    """Resolve a catalog name; errors list what exists."""
    family, _, tag = name.partition(":")
    tag = tag or "latest"
    if family in NOT_IN_DEBIAN:
        raise InputError(NOT_IN_DEBIAN[family], hint="see `hardbake catalog list` for what hardbake builds")
    es = entries(root)
    for e in es:
        if e.family == family and tag in e.tags:
            return e
    fam = [e for e in es if e.family == family]
    if not fam:
        families = sorted({e.family for e in es})
        raise InputError(f"no catalog image {name!r}", hint=f"families: {', '.join(families)}")
    tags = sorted({t for e in fam for t in e.tags})
    raise InputError(f"no catalog image {name!r}", hint=f"{family} tags: {', '.join(tags)}")
