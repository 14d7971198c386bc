"""node-semver 7 ranges, hand-ported: `satisfies(version, range, loose=True, include_prerelease=True)`.

Why not the `node-semver` PyPI package (module `nodesemver`): it ports an older node-semver
whose desugaring ignores `includePrerelease` (no `-0` lower bounds) and it gets
`2.0.0` vs `<=2.0.0-rc7` wrong with pre-releases included — 43 disagreements with npm's
`semver` on the Node.js security WG's own ranges. npm audit matches advisories with
`{loose: true, includePrerelease: true}`, so a scanner must too. This module follows
node-semver 7 (`classes/range.js`, `internal/re.js`) step by step: hyphen ranges, trimming of
operators, `~`/`^`/x-range/star desugaring (with `-0` bounds when pre-releases are included),
loose filtering of garbage comparators, null-set and any-set handling. The property tests
compare it with npm's `semver` run by node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from hardbake.errors import InputError

# -- internal/re.js (loose variants) --------------------------------------------------------
_NUM = r"\d+"
_NONNUM = r"\d*[a-zA-Z-][a-zA-Z0-9-]*"
_MAIN = rf"({_NUM})\.({_NUM})\.({_NUM})"
_PRID = rf"(?:{_NUM}|{_NONNUM})"
_PRE = rf"(?:-?({_PRID}(?:\.{_PRID})*))"
_BUILDID = r"[a-zA-Z0-9-]+"
_BUILD = rf"(?:\+({_BUILDID}(?:\.{_BUILDID})*))"
_LOOSEPLAIN = rf"[v=\s]*{_MAIN}{_PRE}?{_BUILD}?"
_GTLT = r"((?:<|>)?=?)"
_XRID = rf"{_NUM}|x|X|\*"
_XRPLAIN = rf"[v=\s]*({_XRID})(?:\.({_XRID})(?:\.({_XRID})(?:{_PRE})?{_BUILD}?)?)?"
# COMPARATORTRIM's second alternative is the strict XRANGEPLAIN
_XRID_STRICT = r"0|[1-9]\d*|x|X|\*"
_PRE_STRICT = (
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*))*))"
)
_XRPLAIN_STRICT = (
    rf"[v=\s]*({_XRID_STRICT})(?:\.({_XRID_STRICT})(?:\.({_XRID_STRICT})(?:{_PRE_STRICT})?{_BUILD}?)?)?"
)

LOOSE = re.compile(rf"^{_LOOSEPLAIN}$")
_XRANGE = re.compile(rf"^{_GTLT}\s*{_XRPLAIN}$")
_TILDE = re.compile(rf"^(?:~>?){_XRPLAIN}$")
_CARET = re.compile(rf"^(?:\^){_XRPLAIN}$")
_TILDETRIM = re.compile(r"(\s*)(?:~>?)\s+")
_CARETTRIM = re.compile(r"(\s*)(?:\^)\s+")
_COMPTRIM = re.compile(rf"(\s*){_GTLT}\s*({_LOOSEPLAIN}|{_XRPLAIN_STRICT})")
_COMPARATOR = re.compile(rf"^{_GTLT}\s*({_LOOSEPLAIN})$|^$")
_HYPHEN = re.compile(rf"^\s*({_XRPLAIN})\s+-\s+({_XRPLAIN})\s*$")
_STAR = re.compile(r"(<|>)?=?\s*\*")
_BUILD_RE = re.compile(_BUILD)
_GTE0 = re.compile(r"^\s*>=\s*0\.0\.0\s*$")
_GTE0PRE = re.compile(r"^\s*>=\s*0\.0\.0-0\s*$")


class InvalidRange(InputError):
    pass


@dataclass(frozen=True)
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...]

    @classmethod
    def parse(cls, text: str) -> SemVer | None:
        m = LOOSE.match(text.strip())
        if not m:
            return None
        pre = tuple(int(p) if p.isdigit() else p for p in m[4].split(".")) if m[4] else ()
        return cls(int(m[1]), int(m[2]), int(m[3]), pre)

    def compare(self, other: SemVer) -> int:
        a, b = (self.major, self.minor, self.patch), (other.major, other.minor, other.patch)
        if a != b:
            return -1 if a < b else 1
        if not self.prerelease or not other.prerelease:
            return (len(other.prerelease) > 0) - (len(self.prerelease) > 0)
        for x, y in zip(self.prerelease, other.prerelease, strict=False):
            if x == y:
                continue
            if isinstance(x, int) and isinstance(y, int):
                return -1 if x < y else 1
            if isinstance(x, int):
                return -1
            if isinstance(y, int):
                return 1
            return -1 if x < y else 1
        return (len(self.prerelease) > len(other.prerelease)) - (len(self.prerelease) < len(other.prerelease))


def _is_x(s: str | None) -> bool:
    return s is None or s == "" or s.lower() == "x" or s == "*"


def _tilde(comp: str) -> str:
    def rep(m: re.Match[str]) -> str:
        big, mi, p, pr = m[1], m[2], m[3], m[4]
        if _is_x(big):
            return ""
        if _is_x(mi):
            return f">={big}.0.0 <{int(big) + 1}.0.0-0"
        if _is_x(p):
            return f">={big}.{mi}.0 <{big}.{int(mi) + 1}.0-0"
        if pr:
            return f">={big}.{mi}.{p}-{pr} <{big}.{int(mi) + 1}.0-0"
        return f">={big}.{mi}.{p} <{big}.{int(mi) + 1}.0-0"

    return " ".join(_TILDE.sub(rep, c) for c in comp.strip().split())


def _caret(comp: str, inc: bool) -> str:
    z = "-0" if inc else ""

    def rep(m: re.Match[str]) -> str:
        big, mi, p, pr = m[1], m[2], m[3], m[4]
        if _is_x(big):
            return ""
        if _is_x(mi):
            return f">={big}.0.0{z} <{int(big) + 1}.0.0-0"
        if _is_x(p):
            if big == "0":
                return f">={big}.{mi}.0{z} <{big}.{int(mi) + 1}.0-0"
            return f">={big}.{mi}.0{z} <{int(big) + 1}.0.0-0"
        lo = f">={big}.{mi}.{p}-{pr}" if pr else f">={big}.{mi}.{p}{z}"
        if big == "0":
            if mi == "0":
                return f"{lo} <{big}.{mi}.{int(p) + 1}-0"
            return f"{lo} <{big}.{int(mi) + 1}.0-0"
        return f"{lo} <{int(big) + 1}.0.0-0" if pr else f">={big}.{mi}.{p} <{int(big) + 1}.0.0-0"

    return " ".join(_CARET.sub(rep, c) for c in comp.strip().split())


def _xrange(comp: str, inc: bool) -> str:
    def rep(m: re.Match[str]) -> str:
        ret, gtlt, big, mi, p = m[0], m[1], m[2], m[3], m[4]
        xbig = _is_x(big)
        xmi = xbig or _is_x(mi)
        xp = xmi or _is_x(p)
        if gtlt == "=" and xp:
            gtlt = ""
        pr = "-0" if inc else ""
        if xbig:
            return "<0.0.0-0" if gtlt in (">", "<") else "*"
        if gtlt and xp:
            mi_i = 0 if xmi else int(mi)
            big_i, p_i = int(big), 0
            if gtlt == ">":
                gtlt = ">="
                if xmi:
                    big_i, mi_i = big_i + 1, 0
                else:
                    mi_i += 1
            elif gtlt == "<=":
                gtlt = "<"
                if xmi:
                    big_i += 1
                else:
                    mi_i += 1
            if gtlt == "<":
                pr = "-0"
            return f"{gtlt}{big_i}.{mi_i}.{p_i}{pr}"
        if xmi:
            return f">={big}.0.0{pr} <{int(big) + 1}.0.0-0"
        if xp:
            return f">={big}.{mi}.0{pr} <{big}.{int(mi) + 1}.0-0"
        return ret

    return " ".join(_XRANGE.sub(rep, c) for c in comp.strip().split())


def _hyphen(m: re.Match[str], inc: bool) -> str:
    frm, fM, fm, fp, fpr = m[1], m[2], m[3], m[4], m[5]
    to, tM, tm, tp, tpr = m[7], m[8], m[9], m[10], m[11]
    z = "-0" if inc else ""
    if _is_x(fM):
        frm = ""
    elif _is_x(fm):
        frm = f">={fM}.0.0{z}"
    elif _is_x(fp):
        frm = f">={fM}.{fm}.0{z}"
    elif fpr:
        frm = f">={frm}"
    else:
        frm = f">={frm}{z}"
    if _is_x(tM):
        to = ""
    elif _is_x(tm):
        to = f"<{int(tM) + 1}.0.0-0"
    elif _is_x(tp):
        to = f"<{tM}.{int(tm) + 1}.0-0"
    elif tpr:
        to = f"<={tM}.{tm}.{tp}-{tpr}"
    elif inc:
        to = f"<{tM}.{tm}.{int(tp) + 1}-0"
    else:
        to = f"<={to}"
    return f"{frm} {to}".strip()


Comparator = tuple[str, SemVer | None]  # (operator, version); version None = any


def _parse_set(text: str, inc: bool) -> list[Comparator]:
    text = _HYPHEN.sub(lambda m: _hyphen(m, inc), text)
    text = _COMPTRIM.sub(lambda m: f"{m[1]}{m[2]}{m[3]}", text)
    text = _TILDETRIM.sub(lambda m: f"{m[1]}~", text)
    text = _CARETTRIM.sub(lambda m: f"{m[1]}^", text)
    comps = []
    for c in text.split(" "):
        c = _BUILD_RE.sub("", c)
        c = _caret(c, inc)
        c = _tilde(c)
        c = _xrange(c, inc)
        c = _STAR.sub("", c.strip())
        comps.append(c)
    parts = [(_GTE0PRE if inc else _GTE0).sub("", c) for c in re.split(r"\s+", " ".join(comps))]
    parts = [c for c in parts if _COMPARATOR.match(c)]  # loose mode drops what is not a comparator
    out: dict[str, Comparator] = {}
    for c in parts:
        m = _COMPARATOR.match(c)
        assert m is not None
        op = m[1] or ""
        if op == "=":
            op = ""
        ver = SemVer.parse(m[2]) if m[2] else None
        comp: Comparator = (op, ver)
        if op == "<" and ver == SemVer(0, 0, 0, (0,)):
            return [comp]  # the null set
        key = "" if ver is None else f"{op}{m[2].strip()}"
        out[key] = comp
    if len(out) > 1 and "" in out:
        del out[""]
    return list(out.values())


@lru_cache(maxsize=8192)
def parse_range(text: str, include_prerelease: bool = True) -> tuple[tuple[Comparator, ...], ...]:
    raw = " ".join(text.strip().split())
    sets = [s for s in (_parse_set(part.strip(), include_prerelease) for part in raw.split("||")) if s]
    if not sets:
        raise InvalidRange(f"invalid node-semver range {text!r}")
    if len(sets) > 1:
        first = sets[0]
        sets = [s for s in sets if not (len(s) == 1 and s[0][0] == "<" and s[0][1] == SemVer(0, 0, 0, (0,)))]
        if not sets:
            sets = [first]
        else:
            for s in sets:
                if len(s) == 1 and s[0][1] is None:
                    sets = [s]
                    break
    return tuple(tuple(s) for s in sets)


def _test(comp: Comparator, v: SemVer) -> bool:
    op, ver = comp
    if ver is None:
        return True
    c = v.compare(ver)
    return {"": c == 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]


def satisfies(version: str, range_: str, include_prerelease: bool = True) -> bool:
    v = SemVer.parse(version)
    if v is None:
        return False
    for s in parse_range(range_, include_prerelease):
        if not all(_test(c, v) for c in s):
            continue
        if v.prerelease and not include_prerelease:
            if any(
                ver is not None
                and ver.prerelease
                and (ver.major, ver.minor, ver.patch) == (v.major, v.minor, v.patch)
                for _, ver in s
            ):
                return True
            continue
        return True
    return False
