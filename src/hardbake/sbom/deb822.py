"""RFC 822-style paragraphs as Debian writes them (dpkg status, control stanzas, DEP-5).

Hand-written rather than python-debian's `Deb822` because the inventory parses untrusted
files from images with per-file failures reported as values: this parser never raises on
odd input, keeps field names as written (lookup is case-insensitive, Debian Policy 5.1),
and keeps continuation lines verbatim.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class Paragraph(Mapping[str, str]):
    """Fields of one paragraph; keys case-insensitive, values with continuation lines
    joined by newlines (the first line stripped)."""

    def __init__(self, fields: dict[str, str]) -> None:
        self._fields = {k.lower(): v for k, v in fields.items()}

    def __getitem__(self, key: str) -> str:
        return self._fields[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def first_line(self, key: str) -> str | None:
        v = self._fields.get(key.lower())
        return v.split("\n", 1)[0].strip() if v is not None else None


def paragraphs(data: bytes | str) -> Iterator[Paragraph]:
    """Every paragraph of `data`; lines that are neither fields nor continuations (and `#`
    comments) are skipped."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    fields: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield Paragraph(fields)
            fields, last = {}, None
            continue
        if line[0] in " \t":
            if last is not None:
                fields[last] += "\n" + line[1:]
            continue
        if line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key:
            last = None
            continue
        last = key
        fields[key] = value.strip()
    if fields:
        yield Paragraph(fields)
