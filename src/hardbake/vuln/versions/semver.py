"""SemVer 2.0.0 ordering (OSV `SEMVER` ranges, Go modules, npm) and node-semver ranges.

Ranges such as `>= 1.4.0 < 1.4.6 || 2.0.x` (the Node.js security WG's `vulnerable_versions`)
are evaluated by `versions.node_semver` (a port of node-semver 7; see its docstring for why
not the `nodesemver` package), checked against npm's own implementation by the property
tests. Ranges are matched as npm audit matches advisories: `loose` parsing (the WG data has
`<= 1.0`, `<=v2.0.0-alpha7`) and `includePrerelease` — a scanner must not call
`1.7.0-alpha1` safe just because npm's install resolution skips pre-releases.
"""

from __future__ import annotations

import re

from hardbake.errors import InputError
from hardbake.vuln.versions import node_semver

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


def check_range(spec: str) -> None:
    """Raise InvalidSemver unless `spec` parses as a node-semver range."""
    try:
        node_semver.parse_range(spec.strip())
    except InputError as e:
        raise InvalidSemver(e.message) from e


def satisfies(version: str, spec: str) -> bool:
    """Does `version` satisfy the node-semver range `spec` (loose, pre-releases included)?"""
    return node_semver.satisfies(version, spec.strip(), include_prerelease=True)
