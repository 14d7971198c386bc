"""Finding files by name; writing rewrites all-or-nothing; diffs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hardbake.errors import InputError
from hardbake.migrate.apply import Rewrite, rewrites, unified_diff, write
from hardbake.migrate.catalogmap import Mapper
from hardbake.migrate.discover import discover, is_dockerfile_name
from hardbake.migrate.scan import scan


@pytest.mark.parametrize(
    ("name", "yes"),
    [
        ("Dockerfile", True),
        ("dockerfile", True),
        ("Containerfile", True),
        ("api.Dockerfile", True),
        ("Dockerfile.prod", True),
        ("Containerfile.arm64", True),
        ("web.containerfile", True),
        ("Dockerfile.dockerignore", False),
        ("dockerfile.py", False),
        ("Dockerfile.j2", False),
        ("Dockerfile.template", False),
        ("dockerfile.go", False),
        (".dockerignore", False),
        ("Dockerfiles", False),
        ("README.md", False),
    ],
)
def test_dockerfile_names(name: str, yes: bool) -> None:
    assert is_dockerfile_name(name) is yes


def test_discover_walks_and_skips(tmp_path: Path) -> None:
    for rel in (
        "svc/Dockerfile",
        "svc/Dockerfile.dev",
        "docs/x.Dockerfile",
        "deploy/k8s.yaml",
        "compose.yml",
        "node_modules/pkg/Dockerfile",
        ".git/Dockerfile",
        "notes.txt",
    ):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    found, problems, skipped = discover(tmp_path)
    assert [(c.rel, c.kind) for c in found] == [
        ("compose.yml", "yaml"),
        ("deploy/k8s.yaml", "yaml"),
        ("docs/x.Dockerfile", "dockerfile"),
        ("svc/Dockerfile", "dockerfile"),
        ("svc/Dockerfile.dev", "dockerfile"),
    ]
    assert not problems and not skipped


def test_a_single_file_is_a_root(tmp_path: Path, mapper: Mapper) -> None:
    p = tmp_path / "build.df"
    p.write_text('FROM node:20\nCMD ["node", "a.js"]\n')
    inv = scan(p, mapper)
    assert [f.path for f in inv.files] == ["build.df"]
    changes, _ = rewrites(inv)
    assert changes[0].path == p


def test_yaml_that_is_neither_compose_nor_kubernetes_is_ignored(tmp_path: Path, mapper: Mapper) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yml").write_text("jobs:\n  test:\n    container: node:20\n")
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "deploy.yaml").write_text("{{- if .Values.enabled }}\nkind: Pod\n{{- end }}\n")
    inv = scan(tmp_path, mapper)
    assert not inv.files and not inv.problems
    assert [s.file for s in inv.skipped] == ["chart/deploy.yaml"]


def _repo(tmp_path: Path) -> Path:
    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir()
        (d / "Dockerfile").write_text(f'FROM node:20\nCOPY {name}.js .\nCMD ["node", "{name}.js"]\n')
    os.chmod(tmp_path / "a" / "Dockerfile", 0o640)
    return tmp_path


def test_write_keeps_mode_and_is_all_or_nothing(tmp_path: Path, mapper: Mapper) -> None:
    root = _repo(tmp_path)
    changes, problems = rewrites(scan(root, mapper))
    assert [c.rel for c in changes] == ["a/Dockerfile", "b/Dockerfile"] and not problems
    (root / "b" / "Dockerfile").write_text("FROM node:18\n")  # changed after the scan
    with pytest.raises(InputError, match="changed since it was scanned"):
        write(changes)
    assert (root / "a" / "Dockerfile").read_text().startswith("FROM node:20")  # nothing written
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == [
        "Dockerfile",
        "Dockerfile",
    ]  # no temp files left
    changes, _ = rewrites(scan(root, mapper))
    write(changes)
    assert (root / "a" / "Dockerfile").read_text().startswith("FROM hardbake/node:20\n")
    assert stat.S_IMODE((root / "a" / "Dockerfile").stat().st_mode) == 0o640


def test_unified_diff_marks_a_missing_final_newline() -> None:
    d = unified_diff("Dockerfile", "FROM a\nCMD x", "FROM b\nCMD x")
    assert d.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    assert "-FROM a\n+FROM b\n" in d
    d = unified_diff("Dockerfile", "FROM a", "FROM b")
    assert d.endswith("-FROM a\n\\ No newline at end of file\n+FROM b\n\\ No newline at end of file\n")


def test_rewrite_diff_property(tmp_path: Path) -> None:
    r = Rewrite("x", tmp_path / "x", "a\n", "b\n")
    assert r.diff == "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
