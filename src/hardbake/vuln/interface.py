"""The scanner's input seam: what an image inventory hands to vulnerability matching.

Nothing here reads an image. The inventory (issue 7, `hardbake.sbom.inventory`) builds a
`ScanTarget` of `InstalledPackage`s; matching, VEX and reports work only on these values, so
they can be tested on synthetic targets and wired to any inventory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from hardbake import distro as distros
from hardbake.errors import InputError


class Ecosystem(StrEnum):
    """Package ecosystems the scanner knows. Values are purl types, except `golang`/`generic`."""

    deb = "deb"
    pypi = "pypi"
    npm = "npm"
    maven = "maven"
    golang = "golang"
    apk = "apk"
    #: Runtimes found outside any package manager (a `node` binary in /usr/local/bin): name
    #: is the runtime (`node`), version its own. The Node.js core advisories match here.
    generic = "generic"


_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class InstalledPackage:
    """One installed package as the scanner needs it.

    For `deb`: `name`/`version` are the binary package's, `source`/`source_version` its source
    package's (dpkg's `Source:` field; equal to the binary's when the field is absent), and
    `distro` the hardbake distro name (`debian-12`). `layer_digest`/`layer_index` say which
    image layer put the package there (for reports); both optional.
    """

    ecosystem: Ecosystem
    name: str
    version: str
    source: str | None = None
    source_version: str | None = None
    distro: str | None = None
    arch: str | None = None
    purl: str | None = None
    layer_digest: str | None = None
    layer_index: int | None = None
    path: str | None = None  # where the inventory found it (site-packages dir, package.json)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ecosystem", Ecosystem(self.ecosystem))
        if not self.name or not self.version:
            raise InputError(
                f"installed package needs a name and a version, got {self.name!r} {self.version!r}"
            )
        if self.ecosystem is Ecosystem.deb:
            if self.source is None:
                object.__setattr__(self, "source", self.name)
            if self.source_version is None:
                object.__setattr__(self, "source_version", self.version)
        if self.distro is not None:
            object.__setattr__(self, "distro", distros.get(self.distro).name)
        if self.layer_digest is not None and not _DIGEST_RE.match(self.layer_digest):
            raise InputError(f"layer digest {self.layer_digest!r} is not sha256:<64 hex>")

    @property
    def key(self) -> str:
        """A stable identity for reports: `ecosystem:name@version`."""
        return f"{self.ecosystem.value}:{self.name}@{self.version}"


@dataclass(frozen=True)
class ScanTarget:
    """What is scanned: an image (or any package set) and which ecosystems were inventoried.

    `ecosystems` lists what the inventory *looked for*: an ecosystem absent from it is "not
    inventoried"; one present but without a feed in the DB is "not covered" — never
    "0 vulnerabilities".
    """

    ref: str
    packages: tuple[InstalledPackage, ...]
    ecosystems: frozenset[Ecosystem]
    digest: str | None = None
    distro: str | None = None  # from /etc/os-release, as a hardbake distro name
    repository: str | None = None  # image name without tag/digest, for VEX product matching
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "packages", tuple(self.packages))
        object.__setattr__(self, "ecosystems", frozenset(Ecosystem(e) for e in self.ecosystems))
        if self.distro is not None:
            object.__setattr__(self, "distro", distros.get(self.distro).name)
        if self.digest is not None and not _DIGEST_RE.match(self.digest):
            raise InputError(f"image digest {self.digest!r} is not sha256:<64 hex>")
        undeclared = {p.ecosystem for p in self.packages} - self.ecosystems
        if undeclared:
            names = ", ".join(sorted(e.value for e in undeclared))
            raise InputError(
                f"scan target has packages of ecosystems it says were not inventoried: {names}",
                hint="list every ecosystem the inventory looked at in `ecosystems`",
            )
