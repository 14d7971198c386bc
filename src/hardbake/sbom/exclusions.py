"""What a lock says was left out of an image on purpose, as `Exclusion`s.

Two kinds, both listed in SBOMs as excluded (never as present):
- a package a spec `drop:` cut: every dependency edge the resolver cut because of it is in
  the lock's `cuts`; the reason is the spec's. (A drop that cut nothing is not listed: no
  package was left out because of it.)
- a locked package the image does not hold: every file of it was filtered out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hardbake.debian.lock import ArchLock, read_json
from hardbake.errors import InputError
from hardbake.sbom import purl
from hardbake.sbom.model import Ecosystem, Exclusion


def from_lock(lock: ArchLock, present: Iterable[str], distro: str | None) -> tuple[Exclusion, ...]:
    """Exclusions of `lock` for an image whose deb packages are named in `present`."""
    have = set(present)
    out: list[Exclusion] = []
    cut_from: dict[str, list[str]] = {}
    for c in lock.cuts:
        cut_from.setdefault(c.dropped, []).append(c.package)
    for name in sorted(cut_from):
        reason = lock.drops.get(name) or next(c.reason for c in lock.cuts if c.dropped == name)
        out.append(
            Exclusion(
                Ecosystem.deb,
                name,
                f"dropped by the spec: {reason}",
                purl=purl.deb(name, None, None, "debian", distro),
                cut_from=tuple(sorted(set(cut_from[name]))),
            )
        )
    for p in lock.packages:
        if p.name not in have:
            out.append(
                Exclusion(
                    Ecosystem.deb,
                    p.name,
                    "locked, but every file of it was filtered out of the image",
                    version=p.version,
                    purl=purl.deb(p.name, p.version, p.arch, "debian", distro),
                )
            )
    return tuple(out)


def read_lock(path: Path) -> ArchLock | dict[str, ArchLock]:
    """A lock file: an image lock (`lockVersion` and `arches`, what `hardbake lock` writes)
    gives one ArchLock per Debian architecture; a single architecture's lock gives one."""
    d = read_json(Path(path))
    if "arches" in d:
        arches = d["arches"]
        if not isinstance(arches, dict):
            raise InputError(f"{path}: `arches` must map architectures to locks")
        return {a: ArchLock.from_json(v, f"{path} ({a})") for a, v in arches.items()}
    return ArchLock.from_json(d, str(path))
