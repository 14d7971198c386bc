"""Debian machine-readable copyright files (DEP-5, copyright-format 1.0) -> declared licences.

A file is machine-readable when its first paragraph has a `Format:` field naming the
copyright-format URI (any version, http or https). Its licences are the first lines of the
`License:` fields of the header and of every `Files:` paragraph, in order of appearance
(the standalone `License:` paragraphs only hold texts). A free-form copyright file declares
nothing hardbake can read reliably: `None`, never a guess from prose.
"""

from __future__ import annotations

from hardbake.sbom.deb822 import paragraphs

_FORMAT_MARK = "copyright-format"


def declared_licenses(data: bytes) -> tuple[str, ...] | None:
    """Licence names a DEP-5 file declares, or None if the file is not DEP-5."""
    out: list[str] = []
    for i, para in enumerate(paragraphs(data)):
        if i == 0:
            fmt = para.first_line("Format")
            if fmt is None or _FORMAT_MARK not in fmt:
                return None
            lic = para.first_line("License")
            if lic:
                out.append(lic)
            continue
        if "files" in para:
            lic = para.first_line("License")
            if lic:
                out.append(lic)
    return tuple(dict.fromkeys(out))
