"""The one distro table: spec `debian-12` = tag suffix `debian12` = suite `bookworm`.

Every module that names a Debian release goes through here, so the names never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardbake.errors import InputError


@dataclass(frozen=True)
class Distro:
    name: str  # spec name: debian-12
    tag: str  # tag suffix: debian12
    codename: str  # suite: bookworm
    version: str  # VERSION_ID: 12

    @property
    def suites(self) -> tuple[str, str, str]:
        """Suites in priority order: security > updates > release."""
        return (f"{self.codename}-security", f"{self.codename}-updates", self.codename)

    @property
    def purl_qualifier(self) -> str:
        return self.name


DISTROS: tuple[Distro, ...] = (
    Distro("debian-12", "debian12", "bookworm", "12"),
    Distro("debian-13", "debian13", "trixie", "13"),
)


def get(name: str) -> Distro:
    """Look a distro up by any of its names: `debian-12`, `debian12`, `bookworm`, `12`."""
    for d in DISTROS:
        if name in (d.name, d.tag, d.codename, d.version):
            return d
    known = ", ".join(f"{d.name} ({d.codename})" for d in DISTROS)
    raise InputError(f"unknown distro {name!r}", hint=f"known distros: {known}")


def by_codename(codename: str) -> Distro | None:
    base = codename.split("-", 1)[0]
    for d in DISTROS:
        if d.codename == base:
            return d
    return None
