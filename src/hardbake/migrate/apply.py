"""Turn an inventory's edits into new file contents, unified diffs, and atomic writes.

Writing is two-phase: every new file is first written in full beside its original (a
temporary name in the same directory, fsynced), and only when all of them exist are they
renamed into place; an error before that leaves every original untouched. A file whose bytes
changed since it was scanned is refused rather than overwritten.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hardbake.errors import InputError
from hardbake.migrate.model import Edit, Inventory, Problem
from hardbake.migrate.textfile import MAX_YAML_BYTES, NotText, apply_edits, overlapping, read_text


@dataclass(frozen=True)
class Rewrite:
    rel: str
    path: Path
    old: str
    new: str

    @property
    def diff(self) -> str:
        return unified_diff(self.rel, self.old, self.new)


def target_path(inv: Inventory, rel: str) -> Path:
    root = Path(inv.root)
    return root if root.is_file() and rel == root.name else root / rel


def rewrites(inv: Inventory) -> tuple[list[Rewrite], list[Problem]]:
    """The new contents of every file with edits (a file two sources edit gets both)."""
    per_path: dict[str, list[Edit]] = {}
    for f in inv.files:
        for rel, es in f.edits.items():
            per_path.setdefault(rel, []).extend(es)
    out: list[Rewrite] = []
    problems: list[Problem] = []
    root = Path(inv.root).resolve()
    for rel in sorted(per_path):
        edits = per_path[rel]
        path = target_path(inv, rel)
        if path.is_symlink() or not (path.resolve() == root or path.resolve().is_relative_to(root)):
            problems.append(Problem(rel, "not rewritten: a symlink, or outside the scanned tree"))
            continue
        clash = overlapping(edits)
        if clash:
            problems.append(
                Problem(
                    rel,
                    f"two rewrites of the same text (offsets {clash[0].start}-{clash[0].end} and {clash[1].start}-{clash[1].end}); not rewritten",
                )
            )
            continue
        try:
            old = read_text(path, MAX_YAML_BYTES, "file").text
        except (NotText, OSError) as e:
            problems.append(Problem(rel, f"cannot read it again: {e}"))
            continue
        new = apply_edits(old, edits)
        if new != old:
            out.append(Rewrite(rel, path, old, new))
    return out, problems


def unified_diff(rel: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=f"a/{rel}", tofile=f"b/{rel}"
    )
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def write(changes: list[Rewrite]) -> None:
    """Write every rewrite, all or nothing (see the module docstring)."""
    staged: list[tuple[str, Path]] = []
    try:
        for c in changes:
            if c.path.read_bytes() != c.old.encode("utf-8"):
                raise InputError(
                    f"{c.rel} changed since it was scanned; nothing was written",
                    hint="run migrate apply again",
                )
            mode = stat.S_IMODE(c.path.stat().st_mode)
            fd, tmp = tempfile.mkstemp(prefix=f".{c.path.name}.", suffix=".hardbake", dir=c.path.parent)
            staged.append((tmp, c.path))
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as f:
                f.write(c.new.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)
