"""os-release(5): which OS an image is, read from /etc/os-release (or /usr/lib/os-release).

The file is a list of shell-style `KEY=value` assignments; values may be quoted with single
or double quotes, and backslash escapes `\\$ \\" \\\\ \\``. The distro, as purls and the
scanner use it: hardbake's name for a Debian release it knows (`debian-12`; by
`VERSION_ID`, or by `VERSION_CODENAME` for testing/sid, which have no VERSION_ID), else
`<ID>-<VERSION_ID>` (`alpine-3.19.1`, `ubuntu-24.04`), else the ID alone.
"""

from __future__ import annotations

import re

from hardbake import distro as distros
from hardbake.errors import InputError
from hardbake.sbom.model import OsInfo

PATHS = ("etc/os-release", "usr/lib/os-release")
_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def _value(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        inner = raw[1:-1]
        return re.sub(r'\\([$"\\`])', r"\1", inner) if raw[0] == '"' else inner
    return raw


def parse(data: bytes) -> dict[str, str]:
    out = {}
    for line in data.decode("utf-8", "replace").splitlines():
        m = _LINE.match(line.strip())
        if m:
            out[m[1]] = _value(m[2])
    return out


def os_info(fields: dict[str, str]) -> OsInfo | None:
    os_id = fields.get("ID", "").strip().lower()
    if not os_id:
        return None
    version_id = fields.get("VERSION_ID") or None
    codename = fields.get("VERSION_CODENAME") or None
    id_like = tuple(fields.get("ID_LIKE", "").split())
    distro: str | None = None
    if os_id == "debian":
        d = None
        if version_id:
            try:
                d = distros.get(version_id.split(".")[0])
            except InputError:
                d = None
        if d is None and codename:
            d = distros.by_codename(codename)
        distro = d.name if d else f"debian-{version_id or codename or 'unknown'}"
    else:
        distro = f"{os_id}-{version_id}" if version_id else os_id
    return OsInfo(os_id, version_id, codename, fields.get("PRETTY_NAME") or None, id_like, distro)
