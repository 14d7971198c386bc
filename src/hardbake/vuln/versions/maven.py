"""Maven version ordering: Apache Maven's `ComparableVersion` rules, hand-written.

No maintained Python library implements ComparableVersion on its own (`univers` does, inside
a large dependency tree), and the algorithm is small, so it is written here after
maven-artifact's `ComparableVersion` (3.x): the version is lower-cased and split into items
at `.` and `-` and at every digit/letter transition; a `-` or a transition opens a sub-list.
Items compare as: integer > list > qualifier string; a missing item compares as `0`/`""`.
Qualifiers order `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release
< sp`, then any other qualifier, lexically. `a1`/`b1`/`m1` are alpha/beta/milestone when a
digit follows directly. Trailing zero/empty items are dropped (`1.0.0` == `1`).

These are the rules of maven-artifact 3.0-3.8 (their test vectors are in the tests); 3.9
changed a few edge cases of a qualifier after a dot (`2.0.a` vs `2-1`), which advisory
ranges do not use.
"""

from __future__ import annotations

from functools import total_ordering
from typing import Union

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE_INDEX = str(_QUALIFIERS.index(""))

_Item = Union[int, str, "_List"]


def _qualifier_key(q: str) -> str:
    try:
        return str(_QUALIFIERS.index(q))
    except ValueError:
        return f"{len(_QUALIFIERS)}-{q}"


class _List(list[_Item]):
    pass


def _is_null(item: _Item) -> bool:
    if isinstance(item, _List):
        return len(item) == 0
    if isinstance(item, int):
        return item == 0
    return item == ""


def _cmp(a: _Item | None, b: _Item | None) -> int:
    """Compare two items; None stands for a missing item (ComparableVersion's `null`)."""
    if a is None:
        return 0 if b is None else -_cmp(b, None)
    if isinstance(a, int):
        if b is None:
            return 0 if a == 0 else 1
        if isinstance(b, int):
            return (a > b) - (a < b)
        return 1  # int > string, int > list
    if isinstance(a, str):
        ka = _qualifier_key(a)
        if b is None:
            return (ka > _RELEASE_INDEX) - (ka < _RELEASE_INDEX)
        if isinstance(b, str):
            kb = _qualifier_key(b)
            return (ka > kb) - (ka < kb)
        return -1  # string < int, string < list
    # a is a list
    if b is None:
        return 0 if not a else _cmp(a[0], None)
    if isinstance(b, int):
        return -1
    if isinstance(b, str):
        return 1
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else None
        y = b[i] if i < len(b) else None
        c = -_cmp(y, x) if x is None else _cmp(x, y)
        if c:
            return c
    return 0


def _string_item(value: str, followed_by_digit: bool) -> str:
    if followed_by_digit and len(value) == 1:
        value = {"a": "alpha", "b": "beta", "m": "milestone"}.get(value, value)
    return _ALIASES.get(value, value)


def _parse_item(buf: str, is_digit: bool) -> _Item:
    return int(buf) if is_digit else _string_item(buf, False)


def _normalize(items: _List) -> None:
    for i in range(len(items) - 1, -1, -1):
        if _is_null(items[i]):
            del items[i]
        elif not isinstance(items[i], _List):
            break


def parse(version: str) -> _List:
    v = version.lower()
    root = cur = _List()
    stack = [root]
    is_digit = False
    start = 0
    for i, c in enumerate(v):
        if c in ".-":
            cur.append(0 if i == start else _parse_item(v[start:i], is_digit))
            start = i + 1
            if c == "-":
                new = _List()
                cur.append(new)
                cur = new
                stack.append(new)
        elif c.isdigit():
            if not is_digit and i > start:
                cur.append(_string_item(v[start:i], True))
                start = i
                new = _List()
                cur.append(new)
                cur = new
                stack.append(new)
            is_digit = True
        else:
            if is_digit and i > start:
                cur.append(_parse_item(v[start:i], True))
                start = i
                new = _List()
                cur.append(new)
                cur = new
                stack.append(new)
            is_digit = False
    if len(v) > start:
        cur.append(_parse_item(v[start:], is_digit))
    while stack:
        _normalize(stack.pop())
    return root


@total_ordering
class MavenVersion:
    """A Maven version; compares by ComparableVersion rules."""

    __slots__ = ("_items", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._items = parse(text)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MavenVersion):
            return NotImplemented
        return _cmp(self._items, other._items) == 0

    def __lt__(self, other: MavenVersion) -> bool:
        return _cmp(self._items, other._items) < 0

    def __hash__(self) -> int:
        return hash(repr(self._items))

    def __repr__(self) -> str:
        return f"MavenVersion({self.text!r})"
