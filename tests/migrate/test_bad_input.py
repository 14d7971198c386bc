"""Bad input: clear messages, nothing rewritten - for scan, and for apply through the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.migrate.apply import rewrites
from hardbake.migrate.catalogmap import Mapper
from hardbake.migrate.scan import scan

GOOD = 'FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n'

BILLION_LAUGHS = """services:
  a: &a {image: node:20}
x0: &x0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
x1: &x1 [*x0, *x0, *x0, *x0, *x0, *x0, *x0, *x0, *x0, *x0]
x2: &x2 [*x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1]
x3: &x3 [*x2, *x2, *x2, *x2, *x2, *x2, *x2, *x2, *x2, *x2]
x4: &x4 [*x3, *x3, *x3, *x3, *x3, *x3, *x3, *x3, *x3, *x3]
x5: &x5 [*x4, *x4, *x4, *x4, *x4, *x4, *x4, *x4, *x4, *x4]
x6: &x6 [*x5, *x5, *x5, *x5, *x5, *x5, *x5, *x5, *x5, *x5]
x7: &x7 [*x6, *x6, *x6, *x6, *x6, *x6, *x6, *x6, *x6, *x6]
x8: &x8 [*x7, *x7, *x7, *x7, *x7, *x7, *x7, *x7, *x7, *x7]
"""


def flat(text: str) -> str:
    """CLI output with rich's line wrapping undone."""
    return " ".join(text.split())


def _tree(tmp_path: Path, bad: dict[str, bytes]) -> Path:
    (tmp_path / "good").mkdir(parents=True)
    (tmp_path / "good" / "Dockerfile").write_text(GOOD)
    for rel, data in bad.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


CASES = {
    "unparsable": (
        {"svc/Dockerfile": b"FROM python:3.12\nRUN <<EOF\npip install x\n"},
        "unterminated heredoc",
    ),
    "unknown-instruction": (
        {"svc/Dockerfile": b"FROM python:3.12\nINSTALL flask\n"},
        "unknown instruction 'INSTALL'",
    ),
    "no-from": ({"svc/Containerfile": b"RUN echo hi\n"}, "before the first FROM"),
    "binary": ({"svc/Dockerfile": b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256))}, "binary data"),
    "latin1": ({"svc/Dockerfile.prod": "FROM node:20\n# caf\xe9\n".encode("latin-1")}, "not UTF-8 text"),
    "yaml-bomb": ({"deploy/compose.yaml": BILLION_LAUGHS.encode()}, "YAML bomb"),
    "broken-compose": (
        {"docker-compose.yml": b"services:\n  web:\n    image: [unclosed\n"},
        "not valid YAML",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_scan_reports_the_problem_and_apply_refuses(
    case: str, tmp_path: Path, mapper: Mapper, catalog_dir: Path
) -> None:
    bad, message = CASES[case]
    root = _tree(tmp_path / "repo", bad)
    inv = scan(root, mapper)
    assert len(inv.problems) == 1, inv.problems
    problem = inv.problems[0]
    assert problem.file == next(iter(bad))
    assert message in problem.message
    assert [f.path for f in inv.files] == ["good/Dockerfile"]  # the rest is still inventoried

    before = _snapshot(root)
    result = CliRunner().invoke(app, ["migrate", "apply", str(root), "--catalog", str(catalog_dir)])
    assert result.exit_code == 2, result.output
    assert message in flat(result.output)
    assert "nothing was rewritten" in flat(result.output)
    assert _snapshot(root) == before


def test_skip_invalid_rewrites_only_the_good_files(tmp_path: Path, catalog_dir: Path) -> None:
    root = _tree(tmp_path / "repo", {"svc/Dockerfile": b"\x00\x01binary"})
    result = CliRunner().invoke(
        app, ["migrate", "apply", str(root), "--skip-invalid", "--catalog", str(catalog_dir)]
    )
    assert result.exit_code == 0, result.output
    assert (root / "svc" / "Dockerfile").read_bytes() == b"\x00\x01binary"
    assert (root / "good" / "Dockerfile").read_text().startswith("FROM hardbake/node:20\n")


def test_yaml_bomb_is_refused_quickly(tmp_path: Path, mapper: Mapper) -> None:
    import time

    root = _tree(tmp_path / "repo", {"compose.yaml": BILLION_LAUGHS.encode()})
    t0 = time.monotonic()
    inv = scan(root, mapper)
    assert time.monotonic() - t0 < 5
    assert "billion laughs" in inv.problems[0].message


def test_recursive_alias_is_refused(tmp_path: Path, mapper: Mapper) -> None:
    root = _tree(tmp_path / "repo", {"k8s/loop.yaml": b"apiVersion: v1\nkind: List\nitems: &a [*a]\n"})
    inv = scan(root, mapper)
    assert len(inv.problems) == 1
    assert "cycle" in inv.problems[0].message


def test_symlink_loops(tmp_path: Path, mapper: Mapper, catalog_dir: Path) -> None:
    root = _tree(tmp_path / "repo", {})
    os.symlink("..", root / "good" / "up")  # a directory link back to an ancestor
    os.symlink("b", root / "a")  # a link chain that never ends
    os.symlink("a", root / "b")
    inv = scan(root, mapper)
    messages = {p.file: p.message for p in inv.problems}
    assert set(messages) == {"a", "b", "good/up"}
    assert all("symlink loop" in m for m in messages.values())
    assert [f.path for f in inv.files] == ["good/Dockerfile"]  # found once, not through the loop

    before = _snapshot(root)
    result = CliRunner().invoke(app, ["migrate", "apply", str(root), "--catalog", str(catalog_dir)])
    assert result.exit_code == 2
    assert "symlink loop" in flat(result.output)
    assert _snapshot(root) == before


def test_symlinked_dockerfile_is_not_rewritten_through_the_link(tmp_path: Path, mapper: Mapper) -> None:
    root = _tree(tmp_path / "repo", {})
    os.symlink("good/Dockerfile", root / "Dockerfile")
    inv = scan(root, mapper)
    assert not inv.problems
    assert [s.file for s in inv.skipped] == ["Dockerfile"]
    changes, problems = rewrites(inv)
    assert [c.rel for c in changes] == ["good/Dockerfile"] and not problems


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["migrate", "scan", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such file or directory" in flat(result.output)


def test_oversized_dockerfile(tmp_path: Path, mapper: Mapper) -> None:
    root = _tree(tmp_path / "repo", {"big/Dockerfile": b"FROM node:20\n" + b"# x\n" * 400_000})
    inv = scan(root, mapper)
    assert "larger than" in inv.problems[0].message
