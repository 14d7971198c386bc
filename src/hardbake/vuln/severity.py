"""One severity scale for every finding, and how each kind of data maps onto it.

Scale (ordered): unknown < negligible < low < medium < high < critical. `unknown` sorts
lowest but is *never* silently treated as low: the gate counts it as `medium` unless the user
says otherwise (`unknown_as`).

Where a finding's severity comes from, first match wins:

1. CVSS (v4, v3.x, v2 vector or score) from any record of the vulnerability or its aliases
   (CVSS rates the vulnerability, so an alias's record counts).
   Base score 0.0 -> negligible; 0.1-3.9 low; 4.0-6.9 medium; 7.0-8.9 high; 9.0-10 critical
   (the qualitative scale of CVSS v3.1 spec section 5; v2 has no "critical" band but the
   same numeric cut-offs are applied, as NVD's v3 bands are the ones users read).
2. The vendor's own label, on the finding's own record only (a label rates that vendor's
   product): Node.js core `severity`, GHSA's `database_specific.severity` (moderate ->
   medium).
3. The Debian tracker's urgency: unimportant -> negligible, low -> low, medium -> medium,
   high -> high. "not yet assigned", an empty urgency and `end-of-life` (which the tracker
   stores in the urgency field but is a state, not a severity) -> unknown. A trailing `*`
   or `**` (the tracker's "set by a bot / unconfirmed" marks) is stripped first.
4. Otherwise `unknown`.
"""

from __future__ import annotations

from enum import Enum
from functools import total_ordering

from hardbake.errors import InputError


@total_ordering
class Severity(Enum):
    unknown = "unknown"
    negligible = "negligible"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        t = text.strip().lower()
        t = {"moderate": "medium", "important": "high", "none": "negligible", "info": "negligible"}.get(t, t)
        try:
            return cls(t)
        except ValueError:
            known = ", ".join(s.value for s in cls)
            raise InputError(f"unknown severity {text!r}", hint=f"use one of: {known}") from None


_RANK = {s: i for i, s in enumerate(Severity)}


def from_score(score: float) -> Severity:
    """CVSS base score -> severity band (CVSS v3.1 section 5)."""
    if score <= 0.0:
        return Severity.negligible
    if score < 4.0:
        return Severity.low
    if score < 7.0:
        return Severity.medium
    if score < 9.0:
        return Severity.high
    return Severity.critical


def cvss_score(vector: str) -> float | None:
    """Base score of a CVSS v2/v3/v4 vector, computed with the `cvss` library; None if unparsable."""
    import cvss  # the reference implementation of the FIRST calculators (v2, v3.x, v4)

    v = vector.strip()
    try:
        if v.startswith("CVSS:4"):
            return float(cvss.CVSS4(v).base_score)
        if v.startswith("CVSS:3"):
            return float(cvss.CVSS3(v).base_score)
        return float(cvss.CVSS2(v).base_score)
    except Exception:  # the library raises its own error types (and ValueError/KeyError)
        return None


def from_urgency(urgency: str | None) -> Severity:
    """Debian tracker urgency -> severity, by the mapping in the module docstring."""
    if not urgency:
        return Severity.unknown
    u = urgency.strip().lower().rstrip("*")
    return {
        "unimportant": Severity.negligible,
        "low": Severity.low,
        "medium": Severity.medium,
        "high": Severity.high,
    }.get(u, Severity.unknown)
