"""Reading the files a migration looks at, and writing edits back byte for byte.

A file is decoded as strict UTF-8 (a BOM stays a character, line endings stay as they are),
so `encode(apply(decode(bytes), []))` is the same bytes. Edits are character spans of that
text; everything outside them is untouched. Binary and oversized files are refused with a
message that says what was expected.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hardbake.migrate.model import Edit

#: limits: a Dockerfile or manifest larger than this is not something a person wrote
MAX_DOCKERFILE_BYTES = 1 << 20
MAX_YAML_BYTES = 4 << 20


class NotText(ValueError):
    """The file is not the UTF-8 text its name promises."""


@dataclass(frozen=True)
class TextFile:
    path: Path
    text: str

    @property
    def newline(self) -> str:
        """The file's dominant line ending, for lines the migration adds."""
        crlf = self.text.count("\r\n")
        return "\r\n" if crlf and crlf * 2 >= self.text.count("\n") else "\n"

    def line_starts(self) -> list[int]:
        """Offsets where each line begins (line N starts at [N-1]); lines end at '\\n' only,
        as BuildKit and YAML count them (a lone '\\r' or U+2028 is not a line break here)."""
        starts = [0]
        i = self.text.find("\n")
        while i != -1:
            starts.append(i + 1)
            i = self.text.find("\n", i + 1)
        return starts


def read_text(path: Path, limit: int, what: str) -> TextFile:
    """Read `path` as UTF-8 text of at most `limit` bytes, or raise NotText saying why."""
    size = path.stat().st_size
    if size > limit:
        raise NotText(f"{size:,} bytes is larger than the {limit:,} bytes allowed for a {what}; not read")
    data = path.read_bytes()
    return TextFile(path, decode(data, what))


def decode(data: bytes, what: str) -> str:
    if b"\x00" in data[:8192]:
        raise NotText(f"binary data (NUL bytes) where a {what} was expected; not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NotText(
            f"not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}) where a {what} was expected; not read"
        ) from e


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits; identical duplicates (the same edit reached twice) count once."""
    ordered = sorted(set(edits))
    out: list[str] = []
    pos = 0
    for e in ordered:
        if e.start < pos:
            raise ValueError(f"overlapping edits at offset {e.start}")
        if e.end > len(text):
            raise ValueError(f"edit {e.start}..{e.end} is past the end of the text ({len(text)})")
        out.append(text[pos : e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def overlapping(edits: Sequence[Edit]) -> tuple[Edit, Edit] | None:
    """The first pair of distinct edits that overlap, if any (insertions at one point do not)."""
    ordered = sorted(set(edits))
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end or (a.start == a.end == b.start == b.end):
            return a, b
    return None


def tidy_blank_lines(text: str, edits: list[Edit]) -> list[Edit]:
    """Deleting whole lines between two blank lines would leave two blank lines: let each run
    of adjacent whole-line deletions take one of them along."""
    deletions = sorted(
        e for e in set(edits) if e.text == "" and _line_start(text, e.start) and _line_start(text, e.end)
    )
    others = [e for e in set(edits) if e not in deletions]
    merged: list[list[int]] = []
    for e in deletions:
        if merged and merged[-1][1] >= e.start:
            merged[-1][1] = max(merged[-1][1], e.end)
        else:
            merged.append([e.start, e.end])
    out = list(others)
    for start, end in merged:
        blank_before = start == 0 or text[:start].endswith(("\n\n", "\n\r\n"))
        nl = text.find("\n", end)
        after = text[end : nl + 1] if nl != -1 else ""
        if (
            blank_before
            and after.strip() == ""
            and after
            and not any(end <= o.start < nl + 1 for o in others)
        ):
            end = nl + 1
        out.append(Edit(start, end, ""))
    return out


def _line_start(text: str, i: int) -> bool:
    return i == 0 or i == len(text) or text[i - 1] == "\n"
