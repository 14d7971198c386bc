"""SemVer 2.0.0 ordering (OSV `SEMVER` ranges, Go modules, npm) and node-semver ranges.

Ranges such as `>= 1.4.0 < 1.4.6 || 2.0.x` (the Node.js security WG's `vulnerable_versions`)
are evaluated by the `node-semver` package (module `nodesemver`, a port of npm's `semver`),
checked against npm's own implementation by the property tests. Ranges are matched with
`loose` parsing (the WG data has `<= 1.0`, `<=v2.0.0-alpha7`) and `include_prerelease`: a
scanner must not call `1.7.0-alpha1` safe just because npm's install resolution skips
pre-releases.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import nodesemver

from hardbake.errors import InputError

_SEMVER_RE = re.compile(
    r"^[v=]?\s*(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$"
)

_PreKey = tuple[tuple[int, int, str], ...]
SemverKey = tuple[int, int, int, int, _PreKey]


class InvalidSemver(InputError):
    pass


def key(version: str) -> SemverKey:
    """Sort key of a SemVer 2.0.0 version (a leading `v` is allowed, build metadata ignored).

    SemVer 11: a pre-release sorts before its release; identifiers compare numerically when
    numeric, lexically otherwise, numeric before alphanumeric, and a shorter list first.
    """
    m = _SEMVER_RE.match(version.strip())
    if not m:
        raise InvalidSemver(f"invalid semantic version {version!r}", hint="expected MAJOR.MINOR.PATCH")
    major, minor, patch, pre = int(m[1]), int(m[2]), int(m[3]), m[4]
    if pre is None:
        return (major, minor, patch, 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, ids)


@lru_cache(maxsize=4096)
def _range(spec: str) -> Any:
    try:
        return nodesemver.make_range(spec, loose=True)
    except Exception as e:  # nodesemver raises ValueError or its own types
        raise InvalidSemver(f"invalid node-semver range {spec!r}: {e}") from e


def check_range(spec: str) -> None:
    """Raise InvalidSemver unless `spec` parses as a node-semver range."""
    _range(spec.strip())


def satisfies(version: str, spec: str) -> bool:
    """Does `version` satisfy the node-semver range `spec` (loose, pre-releases included)?"""
    r = _range(spec.strip())
    try:
        v = nodesemver.make_semver(version, loose=True)
    except ValueError:
        return False  # not a version npm could have installed: nothing to match
    return bool(r.test(v, include_prerelease=True))
