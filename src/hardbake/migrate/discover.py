"""Find the files a migration reads under PATH: Dockerfiles by name, YAML for its content.

Dockerfiles and Containerfiles go by any of their names (`Dockerfile`, `Containerfile`,
`*.Dockerfile`, `Dockerfile.*`, never `*.dockerignore`); YAML files are candidates for
Compose or Kubernetes and their content decides. Symbolic links are never followed: a
symlink to a directory is not walked (one that loops back is reported), a symlinked file is
skipped because rewriting it in place would replace the link. Tool and dependency
directories (`.git`, `node_modules`, virtualenvs) are not entered.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from hardbake.errors import InputError
from hardbake.migrate.model import Problem

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".mypy_cache",
        ".ruff_cache",
    }
)
MAX_FILES = 100_000
MAX_DEPTH = 64


@dataclass(frozen=True)
class Candidate:
    path: Path
    rel: str  # relative to the root, POSIX separators
    kind: str  # "dockerfile" | "yaml"


#: `Dockerfile.<x>` names that are something else: source code, templates, backups
NOT_DOCKERFILE_SUFFIXES = frozenset(
    {
        "py", "go", "js", "ts", "rs", "java", "kt", "rb", "php", "cs", "c", "h", "cpp", "sh",
        "md", "rst", "txt", "html", "xml", "json", "yaml", "yml", "toml", "lock", "sum", "mod",
        "j2", "jinja", "jinja2", "tpl", "tmpl", "template", "in", "erb", "orig", "bak", "swp", "dockerignore",
    }
)  # fmt: skip


def is_dockerfile_name(name: str) -> bool:
    n = name.lower()
    if n in ("dockerfile", "containerfile") or n.endswith((".dockerfile", ".containerfile")):
        return True
    if n.startswith(("dockerfile.", "containerfile.")):
        return n.rsplit(".", 1)[1] not in NOT_DOCKERFILE_SUFFIXES
    return False


def is_yaml_name(name: str) -> bool:
    return name.lower().endswith((".yml", ".yaml"))


def discover(root: Path) -> tuple[list[Candidate], list[Problem], list[Problem]]:
    """(candidates, problems, skipped) under root; root may be a single file."""
    if root.is_symlink() and _loops(root):
        raise InputError(f"{root}: symlink loop", hint="give a real file or directory")
    if not root.exists():
        raise InputError(
            f"{root}: no such file or directory", hint="give the directory of a repository or one file"
        )
    if root.is_file():
        kind = "yaml" if is_yaml_name(root.name) else "dockerfile"
        return [Candidate(root, root.name, kind)], [], []
    found: list[Candidate] = []
    problems: list[Problem] = []
    skipped: list[Problem] = []
    base = root.resolve()
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        d, depth = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as e:
            problems.append(Problem(_rel(Path(d), root), f"cannot list the directory: {e.strerror}"))
            continue
        subdirs = []
        for entry in entries:
            p = Path(entry.path)
            rel = _rel(p, root)
            if entry.is_symlink():
                _symlink(p, rel, base, entry.name, problems, skipped)
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIP_DIRS and not (p / "pyvenv.cfg").exists():  # not a virtualenv
                    subdirs.append(p)
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            if is_dockerfile_name(entry.name):
                found.append(Candidate(p, rel, "dockerfile"))
            elif is_yaml_name(entry.name):
                found.append(Candidate(p, rel, "yaml"))
            if len(found) > MAX_FILES:
                raise InputError(
                    f"more than {MAX_FILES:,} candidate files under {root}", hint="scan a smaller directory"
                )
        if depth + 1 > MAX_DEPTH and subdirs:
            problems.append(
                Problem(_rel(Path(d), root), f"directories nested deeper than {MAX_DEPTH}: not entered")
            )
            continue
        stack.extend((s, depth + 1) for s in reversed(subdirs))
    found.sort(key=lambda c: c.rel)
    return found, problems, skipped


def _symlink(
    p: Path, rel: str, base: Path, name: str, problems: list[Problem], skipped: list[Problem]
) -> None:
    if _loops(p):
        problems.append(Problem(rel, f"symlink loop ({p} -> {os.readlink(p)}): not followed"))
        return
    try:
        target = p.resolve(strict=True)
    except FileNotFoundError:
        return  # a dangling link names nothing to migrate
    except (RuntimeError, OSError):
        problems.append(Problem(rel, f"symlink loop ({p} -> {os.readlink(p)}): not followed"))
        return
    if target.is_dir():
        parent = p.parent.resolve()
        if parent == target or parent.is_relative_to(target):
            problems.append(
                Problem(
                    rel,
                    f"symlink loop: {rel} -> {os.readlink(p)} points to a directory that contains it; not followed",
                )
            )
        else:
            skipped.append(Problem(rel, "symlink to a directory: not followed (scan its target directly)"))
    elif is_dockerfile_name(name) or is_yaml_name(name):
        where = "inside" if target.is_relative_to(base) else "outside"
        skipped.append(
            Problem(
                rel, f"symlink to {where} the scanned tree: not rewritten through the link (scan the target)"
            )
        )


def _loops(p: Path) -> bool:
    try:
        os.stat(p)
    except OSError as e:
        return e.errno == errno.ELOOP
    return False


def _rel(p: Path, root: Path) -> str:
    try:
        return p.relative_to(root).as_posix() or "."
    except ValueError:
        return p.as_posix()
