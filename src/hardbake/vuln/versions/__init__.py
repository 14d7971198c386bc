"""Version ordering per ecosystem, behind one dispatch table.

| ecosystem | ordering | implementation |
|---|---|---|
| deb | Debian Policy 5.6.12 | `hardbake.debian.version.DebVersion` (the resolver's own) |
| pypi | PEP 440 | `packaging.version.Version` |
| npm, golang, generic | SemVer 2.0.0 (Go's leading `v` accepted) | `versions.semver.key` |
| maven | maven-artifact ComparableVersion | `versions.maven.MavenVersion` (hand-written) |
| apk | — | none yet: Alpine data is not imported and apk is reported "not covered" |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from packaging.version import InvalidVersion as _PepInvalid
from packaging.version import Version

from hardbake.debian.version import DebVersion
from hardbake.errors import InputError
from hardbake.vuln.interface import Ecosystem
from hardbake.vuln.versions import semver
from hardbake.vuln.versions.maven import MavenVersion


class InvalidVersionError(InputError):
    pass


def _deb(v: str) -> Any:
    return DebVersion(v).key


def _pep440(v: str) -> Any:
    try:
        return Version(v)
    except _PepInvalid as e:
        raise InvalidVersionError(f"invalid PEP 440 version {v!r}") from e


def _maven(v: str) -> Any:
    if not v.strip():
        raise InvalidVersionError("empty Maven version")
    return MavenVersion(v.strip())


KEYS: dict[Ecosystem, Callable[[str], Any] | None] = {
    Ecosystem.deb: _deb,
    Ecosystem.pypi: _pep440,
    Ecosystem.npm: semver.key,
    Ecosystem.golang: semver.key,
    Ecosystem.generic: semver.key,
    Ecosystem.maven: _maven,
    Ecosystem.apk: None,
}


def key_function(ecosystem: Ecosystem) -> Callable[[str], Any]:
    """The sort-key function of an ecosystem's versions; InputError if hardbake has none."""
    fn = KEYS[ecosystem]
    if fn is None:
        raise InvalidVersionError(f"no version ordering for ecosystem {ecosystem.value!r}")
    return fn


def sort_key(ecosystem: Ecosystem, version: str) -> Any:
    """Sort key of `version` under `ecosystem`'s rules (raises InputError if invalid)."""
    try:
        return key_function(ecosystem)(version)
    except InputError:
        raise
    except (ValueError, TypeError) as e:
        raise InvalidVersionError(f"invalid {ecosystem.value} version {version!r}: {e}") from e


def compare(ecosystem: Ecosystem, a: str, b: str) -> int:
    ka, kb = sort_key(ecosystem, a), sort_key(ecosystem, b)
    return int(ka > kb) - int(ka < kb)
