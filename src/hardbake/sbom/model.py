"""The inventory's value types: what an image (or a build) holds, independent of any SBOM format.

`Inventory` is what `hardbake sbom` computes from an image and what `build_sboms` computes
from a lock; the SPDX and CycloneDX writers, the table and the scanner's target all read it.
Everything is frozen and sorted, so the same inputs give the same documents byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

from hardbake.errors import InputError

SCHEMA = "hardbake-sbom/1"

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class Ecosystem(StrEnum):
    """Package ecosystems the inventory reads; values are purl types."""

    deb = "deb"
    apk = "apk"
    pypi = "pypi"
    npm = "npm"
    maven = "maven"
    golang = "golang"


Presence = Literal["complete", "partial"]


def _check_digest(value: str | None, what: str) -> None:
    if value is not None and not _DIGEST.match(value):
        raise InputError(f"{what} {value!r} is not sha256:<64 hex digits>")


@dataclass(frozen=True)
class Licenses:
    """What a package declares. `expression` is an SPDX license expression when every
    declared name maps to an SPDX id; `declared` keeps the names as the package wrote them."""

    declared: tuple[str, ...] = ()
    expression: str | None = None

    @property
    def known(self) -> bool:
        return bool(self.declared or self.expression)


NO_LICENSES = Licenses()


@dataclass(frozen=True)
class Package:
    """One installed package.

    `found_at` is the file the inventory read (absolute path in the image); `layer` the
    index of the layer that put that file there and `layer_diff_id` that layer's diff_id.
    For deb/apk, `source`/`source_version` name the source package (Debian `Source:`, apk
    origin). `files`/`files_present` count the regular files and links the package lists
    and how many of them the image still holds; `presence` is `partial` when some are gone
    (a hardbake build filtered them, or a later layer deleted them). `owner` is the purl of
    the OS package whose file list contains `found_at` (a pypi package installed by a deb).
    """

    ecosystem: Ecosystem
    name: str
    version: str
    purl: str
    found_at: str
    layer: int | None = None
    layer_diff_id: str | None = None
    arch: str | None = None
    source: str | None = None
    source_version: str | None = None
    licenses: Licenses = NO_LICENSES
    supplier: str | None = None
    files: int | None = None
    files_present: int | None = None
    presence: Presence = "complete"
    owner: str | None = None
    properties: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "ecosystem", Ecosystem(self.ecosystem))
        object.__setattr__(self, "properties", tuple(sorted(self.properties)))
        if not self.name or not self.version:
            raise InputError(f"a package needs a name and a version, got {self.name!r} {self.version!r}")
        _check_digest(self.layer_diff_id, f"layer diff_id of {self.name}")

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """Sort and identity key: ecosystem, name, version, arch, where found."""
        return (self.ecosystem.value, self.name, self.version, self.arch or "", self.found_at)


@dataclass(frozen=True)
class Exclusion:
    """A package left out on purpose: dropped by the spec (`drop:`), or locked but with every
    file filtered out of the image. Never claimed present."""

    ecosystem: Ecosystem
    name: str
    reason: str
    version: str | None = None
    purl: str | None = None
    cut_from: tuple[str, ...] = ()  # packages whose dependency on it was cut

    def __post_init__(self) -> None:
        object.__setattr__(self, "ecosystem", Ecosystem(self.ecosystem))


@dataclass(frozen=True)
class OsInfo:
    """The OS from /etc/os-release. `distro` is hardbake's distro name (`debian-12`) when the
    OS is a Debian release hardbake knows, else `<id>-<version_id>` (the purl qualifier)."""

    id: str
    version_id: str | None = None
    codename: str | None = None
    pretty_name: str | None = None
    id_like: tuple[str, ...] = ()
    distro: str | None = None

    @property
    def is_debian_like(self) -> bool:
        return self.id == "debian" or "debian" in self.id_like


@dataclass(frozen=True)
class ImageInfo:
    """Which image the inventory describes. `image_id` is the config digest (what Docker
    calls the image ID; every transport has it); `manifest_digest` only when the source
    stores the manifest (OCI layout, registry) or the builder says it. At least one of them. `created` is the
    config's `created` as seconds: the SOURCE_DATE_EPOCH of every document made from it."""

    name: str
    image_id: str | None
    platform: str
    created: int
    layers: tuple[str, ...] = ()  # diff_ids, bottom first
    manifest_digest: str | None = None

    def __post_init__(self) -> None:
        _check_digest(self.image_id, "image id")
        _check_digest(self.manifest_digest, "manifest digest")
        for d in self.layers:
            _check_digest(d, "layer diff_id")
        if self.image_id is None and self.manifest_digest is None:
            raise InputError(f"image {self.name}: an image id or a manifest digest is needed")

    @property
    def identity(self) -> str:
        """The digest that names the image in documents: the manifest's when known."""
        identity = self.manifest_digest or self.image_id
        assert identity is not None
        return identity


@dataclass(frozen=True)
class Inventory:
    """What an image holds. `ecosystems` lists every ecosystem the inventory looked for (an
    ecosystem listed with no package was searched and is empty). `origin` says how it was
    made: `image` (read from the image's files) or `build` (from the lock and the files
    the build kept)."""

    image: ImageInfo
    packages: tuple[Package, ...]
    ecosystems: tuple[Ecosystem, ...]
    os: OsInfo | None = None
    excluded: tuple[Exclusion, ...] = ()
    origin: Literal["image", "build"] = "image"
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "packages", tuple(sorted(self.packages, key=lambda p: p.key)))
        object.__setattr__(self, "ecosystems", tuple(sorted({Ecosystem(e) for e in self.ecosystems})))
        object.__setattr__(
            self, "excluded", tuple(sorted(self.excluded, key=lambda e: (e.ecosystem, e.name)))
        )
        undeclared = {p.ecosystem for p in self.packages} - set(self.ecosystems)
        if undeclared:
            raise InputError(f"inventory has packages of ecosystems it did not look at: {sorted(undeclared)}")

    def by_ecosystem(self, eco: Ecosystem) -> tuple[Package, ...]:
        return tuple(p for p in self.packages if p.ecosystem is eco)

    def to_json(self) -> dict[str, Any]:
        """The `json` output format (`hardbake-sbom/1`), read back by `from_json`."""

        def clean(obj: Any) -> Any:
            if isinstance(obj, dict):
                return {k: clean(v) for k, v in obj.items() if v not in (None, (), [])}
            if isinstance(obj, (list, tuple)):
                return [clean(v) for v in obj]
            return obj

        d = asdict(self)
        for p in d["packages"]:
            p["properties"] = dict(p["properties"])
        return {"schema": SCHEMA, **clean(d)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Inventory:
        if d.get("schema") != SCHEMA:
            raise InputError(f"not a {SCHEMA} document (schema {d.get('schema')!r})")
        try:
            img = d["image"]
            image = ImageInfo(**{**img, "layers": tuple(img.get("layers", ()))})
            os_ = d.get("os")
            packages = []
            for p in d.get("packages", ()):
                lic = p.get("licenses", {})
                packages.append(
                    Package(
                        **{
                            **p,
                            "licenses": Licenses(tuple(lic.get("declared", ())), lic.get("expression")),
                            "properties": tuple(sorted(p.get("properties", {}).items())),
                        }
                    )
                )
            return cls(
                image=image,
                packages=tuple(packages),
                ecosystems=tuple(Ecosystem(e) for e in d.get("ecosystems", ())),
                os=OsInfo(**{**os_, "id_like": tuple(os_.get("id_like", ()))}) if os_ else None,
                excluded=tuple(
                    Exclusion(**{**e, "cut_from": tuple(e.get("cut_from", ()))})
                    for e in d.get("excluded", ())
                ),
                origin=d.get("origin", "image"),
                warnings=tuple(d.get("warnings", ())),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"malformed {SCHEMA} document: {e}") from e
