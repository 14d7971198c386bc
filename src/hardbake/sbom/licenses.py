"""Declared licence names -> SPDX license expressions, only where the mapping is unambiguous.

Sources of names: Debian DEP-5 short names (`GPL-2+`, `Expat`, `BSD-3-clause`, `LGPL-2.1+
with OpenSSL exception`), Python core metadata (`License-Expression`, `License`, trove
classifiers), npm/Maven/apk fields (mostly SPDX already). A name maps when it is a valid
SPDX expression (the SPDX licence list, case-insensitive, via the `license-expression`
library that spdx-tools uses) or when a table below names its SPDX id; anything else stays
a declared name without an expression — never a guess (`BSD`, `GPL` with no version,
`Apache Software License` without a version, `public-domain`).

DEP-5 (copyright-format 1.0, "License specification"): `GPL-2` means version 2 only,
`GPL-2+` version 2 or later; `A or B`, `A and B` combine; `with X exception` adds an
exception.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from spdx_tools.common.spdx_licensing import spdx_licensing

from hardbake.sbom.model import Licenses

#: DEP-5 / common names that are not SPDX ids themselves (keys lower-case).
_ALIASES: dict[str, str] = {
    "expat": "MIT",
    "mit/expat": "MIT",
    "mit license": "MIT",
    "the mit license": "MIT",
    "mit-style": "MIT",
    "isc license": "ISC",
    "isc license (iscl)": "ISC",
    "python": "PSF-2.0",
    "psf": "PSF-2.0",
    "psf-2": "PSF-2.0",
    "psf license": "PSF-2.0",
    "python software foundation license": "PSF-2.0",
    "apache 2.0": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0",
    "apache software license 2.0": "Apache-2.0",
    "the apache software license, version 2.0": "Apache-2.0",
    "the apache license, version 2.0": "Apache-2.0",
    "bsd-2-clause-freebsd": "BSD-2-Clause-FreeBSD",
    "zlib/libpng": "Zlib",
    "cc0": "CC0-1.0",
    "cc0 1.0 universal (cc0 1.0) public domain dedication": "CC0-1.0",
    "the unlicense (unlicense)": "Unlicense",
    "boost software license 1.0 (bsl-1.0)": "BSL-1.0",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0",
    "eclipse public license 2.0 (epl-2.0)": "EPL-2.0",
    "eclipse public license 1.0 (epl-1.0)": "EPL-1.0",
    "european union public licence 1.2 (eupl 1.2)": "EUPL-1.2",
    "gnu general public license v2 (gplv2)": "GPL-2.0-only",
    "gnu general public license v2 or later (gplv2+)": "GPL-2.0-or-later",
    "gnu general public license v3 (gplv3)": "GPL-3.0-only",
    "gnu general public license v3 or later (gplv3+)": "GPL-3.0-or-later",
    "gnu lesser general public license v2 (lgplv2)": "LGPL-2.0-only",
    "gnu lesser general public license v2 or later (lgplv2+)": "LGPL-2.0-or-later",
    "gnu lesser general public license v3 (lgplv3)": "LGPL-3.0-only",
    "gnu lesser general public license v3 or later (lgplv3+)": "LGPL-3.0-or-later",
    "gnu affero general public license v3": "AGPL-3.0-only",
    "gnu affero general public license v3 or later (agplv3+)": "AGPL-3.0-or-later",
    "perl": "Artistic-1.0-Perl OR GPL-1.0-or-later",
    "artistic": "Artistic-1.0-Perl",
    "artistic-1": "Artistic-1.0",
    "artistic-2": "Artistic-2.0",
    "sleepycat": "Sleepycat",
}

#: DEP-5 exception names -> SPDX exception ids (keys lower-case, without " exception").
_EXCEPTIONS: dict[str, str] = {
    "classpath": "Classpath-exception-2.0",
    "font": "Font-exception-2.0",
    "gcc-3.1": "GCC-exception-3.1",
    "gcc-2.0": "GCC-exception-2.0",
    "bison": "Bison-exception-2.2",
    "autoconf-3.0": "Autoconf-exception-3.0",
    "autoconf-2.0": "Autoconf-exception-2.0",
    "libtool": "Libtool-exception",
}
# Deliberately absent: Debian's "OpenSSL exception" (no SPDX exception id says the same).

#: `GPL-2`, `LGPL-2.1+`, `GFDL-1.3+`, `AGPL-3`: families whose SPDX ids say only/or-later.
_VERSIONED = re.compile(r"^(A?GPL|LGPL|GFDL)-(\d+)(?:\.(\d+))?(\+?)$", re.IGNORECASE)
_CLASSIFIER = "license :: "
_TOKEN = re.compile(r"[^\s()]+")
_SPLIT = re.compile(r"\s+(or|and)\s+|\s*,\s*(?:(or|and)\s+)?", re.IGNORECASE)


def _versioned(name: str) -> str | None:
    m = _VERSIONED.match(name)
    if not m:
        return None
    family = m[1].upper()
    version = f"{m[2]}.{m[3] or '0'}"
    return f"{family}-{version}-{'or-later' if m[4] else 'only'}"


@functools.lru_cache(maxsize=4096)
def _valid(expr: str) -> str | None:
    """The normalised form of `expr` if it is a valid SPDX expression over listed ids."""
    try:
        if spdx_licensing.validate(expr).errors:
            return None
        rendered = str(spdx_licensing.parse(expr).render())
    except Exception:  # license-expression raises several unrelated types on odd input
        return None
    # the library also resolves loose aliases (`GPL` -> GPL-1.0-or-later): accept only ids
    # written as the SPDX list spells them (any case), or the deprecated `X+` of `X-or-later`
    have = {t.lower() for t in _TOKEN.findall(rendered)}
    for t in _TOKEN.findall(expr):
        low = t.lower()
        if low not in have and not (low.endswith("+") and f"{low[:-1]}-or-later" in have):
            return None
    return rendered


def _one(name: str) -> str | None:
    """One licence name (possibly `X with Y exception`) as an SPDX expression, or None."""
    name = name.strip().strip("()").strip()
    if not name:
        return None
    low = name.lower()
    if low.startswith(_CLASSIFIER):  # a trove classifier: the last segment names the licence
        low = low.rsplit("::", 1)[-1].strip()
        name = name.rsplit("::", 1)[-1].strip()
    base, sep, exc = _with(name)
    if sep:
        b = _one(base)
        e = _EXCEPTIONS.get(exc.lower().removesuffix(" exception").strip()) or _valid_exception(exc)
        return f"{b} WITH {e}" if b and e and " " not in b else None
    if low in _ALIASES:
        return _ALIASES[low]
    return _versioned(name) or _valid(name)


def _with(name: str) -> tuple[str, str, str]:
    parts = re.split(r"\s+with\s+", name, maxsplit=1, flags=re.IGNORECASE)
    if len(parts) == 2:
        return parts[0], "with", parts[1]
    return name, "", ""


def _valid_exception(exc: str) -> str | None:
    exc = exc.strip()
    if not exc or " " in exc:
        return None
    v = _valid(f"MIT WITH {exc}")
    return v.split(" WITH ", 1)[1] if v else None


@functools.lru_cache(maxsize=4096)
def to_spdx(declared: str) -> str | None:
    """A declared licence (a single name or a DEP-5 / SPDX combination) as an SPDX
    expression, or None when any part of it has no unambiguous SPDX id."""
    text = " ".join(declared.split())
    if not text:
        return None
    whole = _one(text)
    if whole is not None:
        return whole
    # DEP-5 combinations: "GPL-2+ or Artistic", "Expat and BSD-3-clause", "A, B"
    pieces: list[str] = []
    pos = 0
    for m in _SPLIT.finditer(text):
        pieces.append(text[pos : m.start()])
        pieces.append(" AND " if (m[1] or m[2] or "or").lower() == "and" else " OR ")
        pos = m.end()
    pieces.append(text[pos:])
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(piece)
            continue
        one = _one(piece)
        if one is None:
            return None
        out.append(f"({one})" if " " in one and " WITH " not in one else one)
    return _valid("".join(out))


def combine(declared: Iterable[str]) -> Licenses:
    """The licences a package declares: distinct names in order of appearance, and their
    conjunction as an SPDX expression when every one of them maps."""
    names = tuple(dict.fromkeys(" ".join(d.split()) for d in declared if d and d.strip()))
    if not names:
        return Licenses()
    exprs = []
    for n in names:
        e = to_spdx(n)
        if e is None:
            return Licenses(names, None)
        exprs.append(e)
    distinct = list(dict.fromkeys(exprs))
    if len(distinct) == 1:
        return Licenses(names, distinct[0])
    return Licenses(names, _valid(" AND ".join(f"({e})" if " " in e else e for e in distinct)))
