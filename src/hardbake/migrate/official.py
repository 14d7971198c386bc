"""What an official image reference means: its family, version and distribution.

`node:20-alpine3.19`, `python:3.12-slim-bookworm`, `eclipse-temurin:17.0.9_9-jre-jammy`,
`gcr.io/distroless/static-debian12:nonroot`, `node:iron@sha256:...` all reduce to a
`TagInfo`: the catalog family, the version the tag pins (if any), the distribution it names
(if any) and the other words (slim, jre, ...). The reference grammar itself is
`hardbake.oci.reference.RegistryRef`; this module only reads the tag styles of official images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hardbake.migrate import families as fam
from hardbake.oci.reference import DOCKER_HUB, RegistryRef

_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")
_ALPINE = re.compile(r"^alpine(\d+(?:\.\d+)*)?$")
_DISTROLESS = re.compile(r"^(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*?)(?:-debian(?P<debian>\d+))?$")


@dataclass(frozen=True)
class TagInfo:
    repo: str  # node, eclipse-temurin, distroless/static-debian12
    family: str  # catalog family
    version: str | None  # numeric version pinned by the tag
    distro: str | None  # debian-12 | debian-13 | a foreign name (debian-11, alpine, ubuntu-22.04)
    words: tuple[str, ...]  # the other tag words: slim, jre, jdk, headless, ...
    moving: bool  # the tag names no version (latest, lts, stable, a bare flavour)
    substitute: str | None = None  # why only a suggestion (mysql -> mariadb)
    unsupported: str | None = None  # why nothing can match (a Windows tag)
    version_from_distro: bool = False  # distroless python3-debian12: Debian's version of that release

    @property
    def jdk(self) -> bool:
        """A JDK tag (openjdk, eclipse-temurin and amazoncorretto default to the JDK)."""
        return self.repo in ("openjdk", "eclipse-temurin", "amazoncorretto") and "jre" not in self.words

    @property
    def alpine(self) -> bool:
        return self.distro == "alpine"


def read(ref: RegistryRef) -> TagInfo | None:
    """The official image `ref` names, or None for anything else (bitnami/node, a private image)."""
    if ref.registry == "gcr.io" and ref.repository.startswith("distroless/"):
        return _distroless(ref)
    if ref.registry != DOCKER_HUB or not ref.repository.startswith("library/"):
        return None
    repo = ref.repository.removeprefix("library/")
    if repo in fam.SUBSTITUTES:
        family, why = fam.SUBSTITUTES[repo]
        return _with_substitute(_tag(repo, family, ref.tag), why)
    if repo not in fam.OFFICIAL:
        return None
    return _tag(repo, fam.OFFICIAL[repo], ref.tag)


def _with_substitute(info: TagInfo, why: str) -> TagInfo:
    # a substitute's versions are its own (mysql 8.0 is no mariadb 8.0): keep only the distro
    return TagInfo(info.repo, info.family, None, info.distro, info.words, False, why, info.unsupported)


def _tag(repo: str, family: str, tag: str | None) -> TagInfo:
    words = [w for w in (tag or "").lower().split("-") if w]
    version: str | None = None
    distro: str | None = None
    rest: list[str] = []
    moving = False
    unsupported = None
    for w in words:
        if any(w.startswith(u) for u in fam.UNSUPPORTED_WORDS):
            unsupported = f"the tag {tag!r} names a Windows image; hardbake builds Linux images"
            continue
        m = _VERSION.match(w)
        if version is None and m and not _ALPINE.match(w):
            version = m.group(1)
            continue
        if w in fam.CODENAMES:
            distro = fam.CODENAMES[w]
            continue
        if _ALPINE.match(w):
            distro = "alpine"
            continue
        if family == "node" and w in fam.NODE_CODENAMES and version is None:
            version = fam.NODE_CODENAMES[w]
            continue
        if w in fam.MOVING_TAGS:
            moving = True
            continue
        rest.append(w)
    if repo in ("debian", "ubuntu", "alpine"):
        # the OS images: the "version" is the distribution itself
        distro, version = _os_distro(repo, version, distro, words), None
        moving = distro is None or moving
    elif version is None:
        moving = True
    if repo == "alpine" and distro is None:
        distro = "alpine"
    return TagInfo(repo, family, version, distro, tuple(rest), moving, None, unsupported)


def _os_distro(repo: str, version: str | None, distro: str | None, words: list[str]) -> str | None:
    if repo == "debian":
        if distro is not None:
            return distro  # bookworm-20240110-slim: the codename, not the date, names it
        if version is not None and len(version.split(".")[0]) <= 2:
            return f"debian-{version.split('.')[0]}"
        return "debian-unstable" if "sid" in words or "unstable" in words else None
    if repo == "ubuntu":
        return f"ubuntu-{version}" if version else distro
    return "alpine"


def _distroless(ref: RegistryRef) -> TagInfo | None:
    name = ref.repository.removeprefix("distroless/")
    m = _DISTROLESS.match(name)
    if not m or m.group("name") not in fam.DISTROLESS:
        return None
    family, version = fam.DISTROLESS[m.group("name")]
    debian = m.group("debian")
    distro = f"debian-{debian}" if debian else None
    words = tuple(w for w in (ref.tag or "").split("-") if w and w != "latest")
    return TagInfo(
        name,
        family,
        version,
        distro,
        words,
        moving=version is None and distro is None,
        version_from_distro=version is None and distro is not None,
    )
