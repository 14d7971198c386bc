"""Affected-version ranges as the language feeds publish them, and their evaluation.

Two shapes are stored (JSON in the DB) and evaluated at match time:

- OSV ranges (`ECOSYSTEM`, `SEMVER`, `GIT`) with `introduced` / `fixed` / `last_affected` /
  `limit` events, per the OSV schema's evaluation algorithm: events are sorted by version
  (`introduced: "0"` first); walking them in order, every `introduced <= v` turns the state
  on, every `fixed <= v` or `last_affected < v` turns it off; a version at or above every
  `limit` of the range is outside it. `GIT` ranges name commits, which an installed package
  does not carry: they are kept but never match (the record's `versions` list, when given,
  still does).
- node-semver ranges (`NODE_SEMVER`: the Node.js security WG's `vulnerable` and `patched`
  specs): affected when the version satisfies `vulnerable` and not `patched`.

Validation happens at import (`validate`), so a record with an invalid range is reported
and the import rolls back, instead of failing later at every scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version

from hardbake.errors import InputError
from hardbake.vuln.interface import Ecosystem
from hardbake.vuln.versions import key_function, semver

RangeDict = Mapping[str, Any]
_EVENTS = ("introduced", "fixed", "last_affected", "limit")


class InvalidRange(InputError):
    """A range that breaks the OSV schema (structure, event names, missing `introduced`)."""


class UnreadableVersion(InvalidRange):
    """A well-formed range naming a version the ecosystem's ordering cannot read.

    Real upstream data has a few (PyPI `0.2.0-n653` is not PEP 440): the importer drops such
    a range, keeps the record's explicit `versions`, and reports the skip.
    """


def _event(e: Mapping[str, Any]) -> tuple[str, str]:
    if not isinstance(e, Mapping) or len(e) != 1:
        raise InvalidRange(f"an OSV event must have exactly one of {', '.join(_EVENTS)}; got {e!r}")
    ((kind, version),) = e.items()
    if kind not in _EVENTS or not isinstance(version, str) or not version:
        raise InvalidRange(f"bad OSV event {e!r}: expected one of {', '.join(_EVENTS)} with a version")
    return kind, version


def validate(ecosystem: Ecosystem, ranges: Sequence[RangeDict]) -> None:
    """Raise InvalidRange unless every range is well-formed and its versions parse."""
    for r in ranges:
        rtype = r.get("type")
        if rtype == "NODE_SEMVER":
            for field in ("vulnerable", "patched"):
                spec = r.get(field)
                if spec is not None:
                    semver.check_range(str(spec))
            continue
        if rtype not in ("ECOSYSTEM", "SEMVER", "GIT"):
            raise InvalidRange(f"unknown OSV range type {rtype!r}", hint="ECOSYSTEM, SEMVER or GIT")
        events = r.get("events")
        if not isinstance(events, list) or not events:
            raise InvalidRange(f"{rtype} range without events")
        parsed = [_event(e) for e in events]
        if not any(k == "introduced" for k, _ in parsed):
            raise InvalidRange(f"{rtype} range has no 'introduced' event: {events!r}")
        if rtype == "GIT":
            continue
        key = semver.key if rtype == "SEMVER" else key_function(ecosystem)
        for kind, version in parsed:
            if kind == "introduced" and version == "0":
                continue
            try:
                key(version)
            except (InputError, ValueError, TypeError) as e:
                raise UnreadableVersion(
                    f"{rtype} range event {kind}={version!r} is not a valid version: {e}"
                ) from e


def _in_osv_range(vkey: Any, r: RangeDict, key: Callable[[str], Any]) -> bool:
    events = [_event(e) for e in r["events"]]
    limits = [key(v) for k, v in events if k == "limit"]
    if limits and not any(vkey < lim for lim in limits):
        return False
    order = {"introduced": 0, "fixed": 1, "last_affected": 2}
    keyed = sorted(
        (((0, 0) if (k == "introduced" and v == "0") else (1, key(v))), order[k], k)
        for k, v in events
        if k != "limit"
    )
    affected = False
    for (zero, ekey), _, kind in keyed:
        if kind == "introduced":
            if zero == 0 or ekey <= vkey:
                affected = True
        elif kind == "fixed":
            if ekey <= vkey:
                affected = False
        elif ekey < vkey:  # last_affected
            affected = False
    return affected


def is_affected(
    ecosystem: Ecosystem, version: str, ranges: Iterable[RangeDict], versions: Iterable[str] = ()
) -> bool:
    """Is `version` affected per these ranges or the explicit `versions` list?"""
    ranges = list(ranges)
    listed = versions if isinstance(versions, set | frozenset) else set(versions)
    if version in listed:
        return True
    if listed and ecosystem is Ecosystem.pypi and canonical_pypi(version) in listed:
        # PEP 440: "1.0" and "1.0.0" are the same release; the OSV importer stores listed
        # PyPI versions canonicalised, so one lookup decides
        return True
    for r in ranges:
        rtype = r.get("type")
        if rtype == "NODE_SEMVER":
            vuln, patched = r.get("vulnerable"), r.get("patched")
            in_vulnerable = vuln is not None and semver.satisfies(version, str(vuln))
            if in_vulnerable and (patched is None or not semver.satisfies(version, str(patched))):
                return True
            continue
        if rtype == "GIT":
            continue
        key = semver.key if rtype == "SEMVER" else key_function(ecosystem)
        try:
            vkey = key(version)
        except (InputError, ValueError, TypeError):
            continue  # an installed version this ordering cannot read matches no range
        if _in_osv_range(vkey, r, key):
            return True
    return False


@lru_cache(maxsize=65536)
def canonical_pypi(version: str) -> str:
    """PEP 440 canonical form for equality (`1.0.0` -> `1`); the text itself if not PEP 440."""
    try:
        return canonicalize_version(Version(version))
    except InvalidVersion:
        return version


def fixed_version(ecosystem: Ecosystem, version: str, ranges: Iterable[RangeDict]) -> str | None:
    """The lowest `fixed` event above `version` (what to upgrade to), if the data names one."""
    best: tuple[Any, str] | None = None
    for r in ranges:
        rtype = r.get("type")
        if rtype == "NODE_SEMVER":
            patched = r.get("patched")
            if patched and patched.strip() not in ("<0.0.0", "<=0.0.0"):
                return str(patched).strip()
            continue
        if rtype not in ("ECOSYSTEM", "SEMVER"):
            continue
        key = semver.key if rtype == "SEMVER" else key_function(ecosystem)
        try:
            vkey = key(version)
        except (InputError, ValueError, TypeError):
            vkey = None
        for kind, v in (_event(e) for e in r["events"]):
            if kind != "fixed":
                continue
            try:
                k = key(v)
            except (InputError, ValueError, TypeError):
                continue
            if (vkey is None or k > vkey) and (best is None or k < best[0]):
                best = (k, v)
    return best[1] if best else None
