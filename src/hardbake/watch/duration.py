"""Durations as people write them: `15m`, `36h`, `7d`, `2w`, `90s`, `1d12h` — and back.

`--interval`, SLA limits and warning windows all use this one grammar, so a policy file and
a flag read the same. Refused: no number, an unknown unit, a zero where a positive span is
needed.
"""

from __future__ import annotations

import re
from datetime import timedelta

from hardbake.errors import InputError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str, *, what: str = "duration") -> timedelta:
    """`15m` -> 15 minutes; parts add up (`1d12h`); a bare number is seconds."""
    t = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", t):
        return timedelta(seconds=float(t))
    if not t or _PART.sub("", t):
        raise InputError(
            f"{what} {text!r} is not a duration", hint="use a number and a unit: 90s, 15m, 36h, 7d, 2w"
        )
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(t))
    return timedelta(seconds=seconds)


def positive_duration(text: str, *, what: str = "duration") -> timedelta:
    d = parse_duration(text, what=what)
    if d <= timedelta(0):
        raise InputError(f"{what} {text!r} must be longer than zero")
    return d


def format_duration(d: timedelta) -> str:
    """Short and signed: `6d 23h`, `45m`, `-2h 5m` (overdue), `0s`."""
    total = int(d.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if minutes and not days:
        parts.append(f"{minutes}m")
    if not parts:
        parts.append(f"{seconds}s")
    return sign + " ".join(parts[:2])
