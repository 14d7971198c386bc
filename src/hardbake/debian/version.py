"""Debian version numbers and their ordering, exactly per Debian Policy 5.6.12.

`[epoch:]upstream_version[-debian_revision]`. Comparison (Policy 5.6.12, dpkg's verrevcmp):
epochs numerically; then upstream and revision each by alternating non-digit and digit runs.
Non-digit runs compare character by character where letters sort before non-letters and
'~' sorts before everything, even the end of the string; digit runs compare numerically.

Each version is turned once into a sort key (tuples compare like verrevcmp), so sorting
thousands of candidates in the resolver costs one key per version, not one parse per compare.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import total_ordering

from hardbake.errors import InputError

_EPOCH_RE = re.compile(r"^[0-9]+$")
_UPSTREAM_RE = re.compile(r"^[0-9A-Za-z.+~:-]*$")
_REVISION_RE = re.compile(r"^[0-9A-Za-z.+~]*$")
_RUNS_RE = re.compile(r"([^0-9]*)([0-9]*)")

_CharKey = tuple[int, ...]
_Segment = tuple[_CharKey, int]
_PartKey = tuple[_Segment, ...]


def _order(c: str) -> int:
    # dpkg lib/dpkg/version.c order(): digits never reach here; letters by code,
    # '~' before the end of string (0), every other character after all letters.
    if c.isalpha() and c.isascii():
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256


# The end of a string inside verrevcmp: an empty non-digit run followed by the number 0.
_END: _Segment = ((0,), 0)


def _part_key(s: str) -> _PartKey:
    """Sort key of an upstream version or revision such that tuple order == verrevcmp order."""
    segments: list[_Segment] = []
    for m in _RUNS_RE.finditer(s):
        nondigit, digits = m.group(1), m.group(2)
        if not nondigit and not digits:
            continue
        chars = (*tuple(_order(c) for c in nondigit), 0)
        segments.append((chars, int(digits) if digits else 0))
    if not segments:
        segments.append(_END)
    segments.append(_END)
    return tuple(segments)


@total_ordering
class DebVersion:
    """A parsed Debian version. Compare with <, ==, sorted(); `str()` gives it back unchanged.

    Parsing (and validation) happens in the constructor; the sort key is computed on the
    first comparison, because an index holds tens of thousands of versions and the resolver
    compares only a few hundred of them.
    """

    __slots__ = ("_key", "epoch", "revision", "text", "upstream")

    def __init__(self, text: str) -> None:
        if not text or text != text.strip() or any(c.isspace() for c in text):
            raise InvalidVersion(text, "empty or contains whitespace")
        epoch_s, sep, rest = text.partition(":")
        if sep:
            if not _EPOCH_RE.match(epoch_s):
                raise InvalidVersion(text, f"epoch {epoch_s!r} is not a number")
            epoch = int(epoch_s)
        else:
            epoch, rest = 0, text
        upstream, hy, revision = rest.rpartition("-")
        if not hy:
            upstream, revision = rest, ""
        if not upstream:
            raise InvalidVersion(text, "empty upstream version")
        if not upstream[0].isdigit():
            raise InvalidVersion(text, "upstream version must start with a digit")
        if not _UPSTREAM_RE.match(upstream) or (":" in upstream):
            raise InvalidVersion(text, f"upstream version {upstream!r} has invalid characters")
        if hy and (not revision or not _REVISION_RE.match(revision)):
            raise InvalidVersion(text, f"debian revision {revision!r} is empty or invalid")
        self.text = text
        self.epoch = epoch
        self.upstream = upstream
        self.revision = revision
        self._key: tuple[int, _PartKey, _PartKey] | None = None

    @classmethod
    def parse(cls, text: str) -> DebVersion:
        return cls(text)

    @property
    def key(self) -> tuple[int, _PartKey, _PartKey]:
        k = self._key
        if k is None:
            k = self._key = (self.epoch, _part_key(self.upstream), _part_key(self.revision))
        return k

    def __setattr__(self, name: str, value: object) -> None:
        # immutable once built: only the constructor and the lazy key may assign
        if name != "_key" and hasattr(self, "_key"):
            raise AttributeError(f"DebVersion is immutable ({name})")
        object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DebVersion):
            return NotImplemented
        return self.text == other.text or self.key == other.key

    def __lt__(self, other: DebVersion) -> bool:
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"DebVersion({self.text!r})"

    def __str__(self) -> str:
        return self.text


class InvalidVersion(InputError):
    def __init__(self, text: str, why: str) -> None:
        super().__init__(
            f"invalid Debian version {text!r}: {why}",
            hint="Debian Policy 5.6.12: [epoch:]upstream_version[-debian_revision]",
        )


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as `dpkg --compare-versions a lt|eq|gt b` would say."""
    ka, kb = DebVersion(a).key, DebVersion(b).key
    return (ka > kb) - (ka < kb)


_OPS: dict[str, Callable[[int], bool]] = {
    "<<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    "=": lambda c: c == 0,
    ">=": lambda c: c >= 0,
    ">>": lambda c: c > 0,
    # obsolete forms still accepted by dpkg (Policy 7.1): '<' means '<=', '>' means '>='
    "<": lambda c: c <= 0,
    ">": lambda c: c >= 0,
}


def satisfies(version: DebVersion, op: str, bound: DebVersion) -> bool:
    """Does `version op bound` hold, for the relation operators of Policy 7.1?"""
    try:
        test = _OPS[op]
    except KeyError:
        raise InputError(f"unknown version relation {op!r}", hint="use <<, <=, =, >= or >>") from None
    c = (version.key > bound.key) - (version.key < bound.key)
    return test(c)
