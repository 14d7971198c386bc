"""Platforms (OCI image-index `platform`): os/architecture/variant, and Debian's arch names.

Debian -> OCI, the one table every module uses:

| Debian   | OCI            | why                                                          |
|----------|----------------|--------------------------------------------------------------|
| amd64    | amd64          |                                                              |
| arm64    | arm64/v8       | what Docker Official Images' indexes and `docker image       |
|          |                | inspect` on an arm64 host report; containerd normalises      |
|          |                | arm64/v8 and arm64 (no variant) to the same platform, and    |
|          |                | `matches()` here does too, so either form selects it.        |
| armhf    | arm/v7         | Debian armhf is ARMv7 + VFPv3-D16                            |
| armel    | arm/v5         | Debian armel's baseline is ARMv5TE (Docker's arm32v5 repos)  |
| i386     | 386            |                                                              |
| ppc64el  | ppc64le        |                                                              |
| s390x    | s390x          |                                                              |
| riscv64  | riscv64        |                                                              |
| mips64el | mips64le       |                                                              |
| loong64  | loong64        |                                                              |
"""

from __future__ import annotations

import platform as _py_platform
from dataclasses import dataclass
from typing import Any

from hardbake.errors import InputError
from hardbake.oci.errors import ImageError

#: Debian architecture -> (OCI architecture, OCI variant)
DEBIAN_TO_OCI: dict[str, tuple[str, str | None]] = {
    "amd64": ("amd64", None),
    "arm64": ("arm64", "v8"),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v5"),
    "i386": ("386", None),
    "ppc64el": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
    "mips64el": ("mips64le", None),
    "loong64": ("loong64", None),
}

# uname -m -> (OCI architecture, variant), for the host's platform
_MACHINE: dict[str, tuple[str, str | None]] = {
    "x86_64": ("amd64", None),
    "amd64": ("amd64", None),
    "aarch64": ("arm64", "v8"),
    "arm64": ("arm64", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "armv5tel": ("arm", "v5"),
    "i686": ("386", None),
    "i386": ("386", None),
    "ppc64le": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
}

# variants that mean "the baseline" of an architecture (containerd platforms.Normalize)
_DEFAULT_VARIANT = {"arm64": "v8", "arm": "v7", "amd64": "v1"}


@dataclass(frozen=True, order=True)
class Platform:
    """An OCI platform. `str()` gives the `--platform` form: `linux/arm64/v8`."""

    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None
    os_features: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("os", "architecture"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or "/" in value:
                raise InputError(f"invalid platform {name} {value!r}: expected a name like linux or amd64")
        if self.variant is not None and (not self.variant or "/" in self.variant):
            raise InputError(f"invalid platform variant {self.variant!r}")

    @classmethod
    def parse(cls, text: str) -> Platform:
        """`os/arch[/variant]` as `--platform` takes it: `linux/amd64`, `linux/arm/v7`."""
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise InputError(
                f"invalid platform {text!r}: expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8"
            )
        os_, arch = parts[0].lower(), parts[1].lower()
        if arch in DEBIAN_TO_OCI and arch not in ("amd64", "arm64", "s390x", "riscv64"):
            # a Debian name where an OCI one belongs (armhf, ppc64el, i386): map it
            arch, variant = DEBIAN_TO_OCI[arch]
            return cls(os_, arch, parts[2] if len(parts) == 3 else variant)
        return cls(os_, arch, parts[2] if len(parts) == 3 else None)

    @classmethod
    def parse_list(cls, text: str) -> tuple[Platform, ...]:
        """A comma-separated `--platform` value: `linux/amd64,linux/arm64`."""
        return tuple(cls.parse(p) for p in text.split(",") if p.strip())

    @classmethod
    def from_debian(cls, arch: str) -> Platform:
        """The OCI platform of a Debian architecture (the table in this module's docstring)."""
        try:
            oci_arch, variant = DEBIAN_TO_OCI[arch]
        except KeyError:
            known = ", ".join(DEBIAN_TO_OCI)
            raise InputError(f"unknown Debian architecture {arch!r}", hint=f"known: {known}") from None
        return cls("linux", oci_arch, variant)

    @classmethod
    def host(cls) -> Platform:
        """The platform of this machine (what single-platform outputs default to)."""
        machine = _py_platform.machine().lower()
        arch, variant = _MACHINE.get(machine, (machine, None))
        return cls("linux", arch, variant)

    @property
    def debian_arch(self) -> str:
        """The Debian architecture name, e.g. `armhf` for linux/arm/v7."""
        for deb, (arch, variant) in DEBIAN_TO_OCI.items():
            if arch == self.architecture and _norm(arch, variant) == _norm(arch, self.variant):
                return deb
        raise InputError(f"platform {self} has no Debian architecture")

    def matches(self, other: Platform) -> bool:
        """Same os and architecture, and the same variant once baselines are normalised.

        `linux/arm64` matches `linux/arm64/v8` (containerd's Normalize drops the baseline
        variant). Only os, architecture and variant take part: os.version matters on
        Windows only.
        """
        return (
            self.os == other.os
            and self.architecture == other.architecture
            and _norm(self.architecture, self.variant) == _norm(other.architecture, other.variant)
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        if self.os_version:
            out["os.version"] = self.os_version
        if self.os_features:
            out["os.features"] = list(self.os_features)
        return out

    @classmethod
    def from_json(cls, obj: Any, what: str) -> Platform:
        if not isinstance(obj, dict):
            raise ImageError(f"{what}: platform must be an object, found {type(obj).__name__}")
        features = obj.get("os.features") or ()
        variant = obj.get("variant") or None
        try:
            return cls(
                os=obj.get("os", ""),
                architecture=obj.get("architecture", ""),
                variant=variant,
                os_version=obj.get("os.version") or None,
                os_features=tuple(features) if isinstance(features, list) else (),
            )
        except InputError as e:
            raise ImageError(f"{what}: {e.message}") from e

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def _norm(arch: str, variant: str | None) -> str | None:
    if variant is None or variant == _DEFAULT_VARIANT.get(arch):
        return None
    if arch == "arm64" and variant in ("8", "v8.0"):
        return None
    return variant
