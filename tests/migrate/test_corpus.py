"""The Dockerfile corpus: each case's rewrite against its golden files.

tests/migrate/corpus/{dockerfiles,compose,kubernetes}/<case>/ holds the input (a Dockerfile
and the build-context files it names, a Compose file, manifests); `expected/` holds every file the migration changes, as it must read afterwards (a
case without `expected/` must come out untouched), and `report.txt` the references and
findings. Regenerate with HARDBAKE_UPDATE_GOLDEN=1 and review the diff before committing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dockerfile
import pytest

from hardbake.migrate.apply import rewrites, write
from hardbake.migrate.catalogmap import Mapper
from hardbake.migrate.model import Inventory
from hardbake.migrate.scan import scan

CORPUS = Path(__file__).parent / "corpus"
KINDS = ("dockerfiles", "compose", "kubernetes")
CASES = sorted(f"{k}/{p.name}" for k in KINDS for p in (CORPUS / k).iterdir() if p.is_dir())
UPDATE = os.environ.get("HARDBAKE_UPDATE_GOLDEN") == "1"
GOLDEN = ("expected", "report.txt")


def report_text(inv: Inventory) -> str:
    lines = []
    for u in inv.uses:
        lines.append(
            f"use {u.file}:{u.line} {u.kind.value} {u.text!r} -> {u.hardened or '-'} [{u.match.confidence.value}]"
            + (f" {u.match.note}" if u.match.note else "")
        )
    for f in inv.findings:
        lines.append(f"{f.severity.value} {f.file}:{f.line} {f.code}: {f.message}")
    return "\n".join(lines) + "\n"


def copy_case(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=lambda _d, names: [n for n in names if n in GOLDEN])


def test_corpus_size() -> None:
    assert len([c for c in CASES if c.startswith("dockerfiles/")]) >= 30


@pytest.mark.parametrize("name", CASES)
def test_case(name: str, tmp_path: Path, mapper: Mapper) -> None:
    src = CORPUS / name
    work = tmp_path / name.split("/")[1]
    copy_case(src, work)
    before = {p.relative_to(work).as_posix(): p.read_bytes() for p in work.rglob("*") if p.is_file()}
    inv = scan(work, mapper)
    assert not inv.problems, inv.problems
    changes, problems = rewrites(inv)
    assert not problems
    report = report_text(inv)
    expected_dir = src / "expected"
    if UPDATE:
        (src / "report.txt").write_text(report)
        shutil.rmtree(expected_dir, ignore_errors=True)
        for c in changes:
            out = expected_dir / c.rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(c.new.encode())
    assert report == (src / "report.txt").read_text()
    expected = (
        {
            p.relative_to(expected_dir).as_posix(): p.read_bytes()
            for p in expected_dir.rglob("*")
            if p.is_file()
        }
        if expected_dir.is_dir()
        else {}
    )
    assert {c.rel: c.new.encode() for c in changes} == expected

    write(changes)
    after = {p.relative_to(work).as_posix(): p.read_bytes() for p in work.rglob("*") if p.is_file()}
    assert after == {**before, **expected}, "files outside the rewrites changed"
    for rel in expected:
        if rel.endswith("Dockerfile") and name.startswith("dockerfiles/"):
            dockerfile.parse_string(after[rel].decode())  # BuildKit's parser reads the result
    again = scan(work, mapper)
    assert rewrites(again) == ([], []), "a second run must change nothing"
