"""Debian machine-readable copyright files (DEP-5, copyright-format 1.0) -> declared licences.

A file is machine-readable when its first paragraph has a `Format:` field naming the
copyright-format URI (any version, http or https). Its licences are the first lines of the
`License:` fields of the header and of every `Files:` paragraph, in order of appearance
(the standalone `License:` paragraphs only hold texts). A free-form copyright file declares
nothing hardbake can read reliably: `None`, never a guess from prose.

Paragraphs are found with two regular expressions rather than a full deb822 parse: an
image has one copyright file per package and most of their bytes are licence texts that
this never needs to split into fields (field names are case-insensitive, Debian Policy 5.1).
"""

from __future__ import annotations

import re

_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_FORMAT = re.compile(r"^format:[ \t]*(\S*)", re.IGNORECASE | re.MULTILINE)
_FILES = re.compile(r"^files:", re.IGNORECASE | re.MULTILINE)
_LICENSE = re.compile(r"^license:[ \t]*(.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_FORMAT_MARK = "copyright-format"


def declared_licenses(data: bytes) -> tuple[str, ...] | None:
    """Licence names a DEP-5 file declares, or None if the file is not DEP-5."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    paras = [p for p in _PARAGRAPH.split(text) if p.strip()]
    if not paras:
        return None
    fmt = _FORMAT.search(paras[0])
    if fmt is None or _FORMAT_MARK not in fmt[1]:
        return None
    out: list[str] = []
    for i, para in enumerate(paras):
        if i == 0 or _FILES.search(para):
            lic = _LICENSE.search(para)
            if lic and lic[1]:
                out.append(lic[1])
    return tuple(dict.fromkeys(out))
