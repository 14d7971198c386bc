"""`hardbake migrate scan|apply|plan` end to end through the CLI (typer's runner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from hardbake.cli.main import app

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def _repo(tmp_path: Path, corpus: Path) -> Path:
    root = tmp_path / "repo"
    for case in (
        "dockerfiles/01-node-alpine-article",
        "dockerfiles/16-python-shell-cmd-var",
        "compose/01-web-stack",
    ):
        shutil.copytree(
            corpus / case, root / case.split("/")[1], ignore=shutil.ignore_patterns("expected", "report.txt")
        )
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_scan_formats(tmp_path: Path, corpus: Path, catalog_dir: Path) -> None:
    root = _repo(tmp_path, corpus)
    r = runner.invoke(app, ["migrate", "scan", str(root), "--json", "--catalog", str(catalog_dir)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    uses = [u for f in data["files"] for u in f["uses"]]
    node = next(u for u in uses if u["text"] == "node:20-alpine" and u["kind"] == "from")
    assert node["file"] == "01-node-alpine-article/Dockerfile" and node["line"] == 1
    assert node["reference"] == "docker.io/library/node:20-alpine"
    assert node["hardened"] == "hardbake/node:20-dev" and node["confidence"] == "exact"
    mysql = next(u for u in uses if u["text"] == "mysql:8.0")
    assert mysql["confidence"] == "suggestion" and mysql["hardened"] == "hardbake/mariadb:11.8"

    r = runner.invoke(
        app, ["migrate", "scan", str(root), "--format", "markdown", "--catalog", str(catalog_dir)]
    )
    assert r.exit_code == 0
    assert (
        "| 01-node-alpine-article/Dockerfile:1 | node:20-alpine | docker.io/library/node:20-alpine |"
        in r.stdout
    )

    out = tmp_path / "inv.txt"
    r = runner.invoke(app, ["migrate", "scan", str(root), "-o", str(out), "--catalog", str(catalog_dir)])
    assert r.exit_code == 0 and r.stdout == ""
    table = flat(out.read_text())
    assert "image references under" in table and "blocker" in table and "shell-form" in table

    r = runner.invoke(app, ["migrate", "scan", str(root), "--format", "xml"])
    assert r.exit_code == 2 and "unknown --format" in flat(r.output)


def test_apply_dry_run_then_write(tmp_path: Path, corpus: Path, catalog_dir: Path) -> None:
    root = _repo(tmp_path, corpus)
    before = _snapshot(root)
    r = runner.invoke(app, ["migrate", "apply", str(root), "--dry-run", "--catalog", str(catalog_dir)])
    assert r.exit_code == 0, r.output
    assert "--- a/01-node-alpine-article/Dockerfile" in r.stdout
    assert "+FROM hardbake/node:20-dev AS build" in r.stdout
    assert '-      - "80:80"' in r.stdout and '+      - "80:8080"' in r.stdout
    assert _snapshot(root) == before

    r = runner.invoke(app, ["migrate", "apply", str(root), "--catalog", str(catalog_dir), "--strict"])
    assert r.exit_code == 1  # the shell-form CMD of 16-python-shell-cmd-var blocks it
    assert "16-python-shell-cmd-var/Dockerfile:7" in flat(r.output)
    after = _snapshot(root)
    assert after["16-python-shell-cmd-var/Dockerfile"] == before["16-python-shell-cmd-var/Dockerfile"]
    assert (
        after["01-node-alpine-article/Dockerfile"]
        == (corpus / "dockerfiles/01-node-alpine-article/expected/Dockerfile").read_bytes()
    )
    assert (
        after["01-web-stack/nginx.conf"] == (corpus / "compose/01-web-stack/expected/nginx.conf").read_bytes()
    )

    r = runner.invoke(app, ["migrate", "apply", str(root), "--catalog", str(catalog_dir)])
    assert r.exit_code == 0 and r.stdout == ""  # nothing left to do
    assert _snapshot(root) == after


def test_registry_prefix_and_exact_only(tmp_path: Path, corpus: Path, catalog_dir: Path) -> None:
    root = _repo(tmp_path, corpus)
    args = ["migrate", "apply", str(root), "--dry-run", "--catalog", str(catalog_dir)]
    r = runner.invoke(app, [*args, "--registry", "registry.example.com/hardened"])
    assert "+FROM registry.example.com/hardened/node:20-dev AS build" in r.stdout
    r = runner.invoke(app, [*args, "--exact-only"])
    assert "+    image: hardbake/node:20" in r.stdout
    assert "nginx:debian13" not in r.stdout  # a family-only match is reported, not rewritten


def test_plan(tmp_path: Path, corpus: Path, catalog_dir: Path) -> None:
    root = _repo(tmp_path, corpus)
    out = tmp_path / "plan.md"
    r = runner.invoke(
        app, ["migrate", "plan", str(root), "-o", str(out), "--no-compare", "--catalog", str(catalog_dir)]
    )
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert text.startswith("# Migration plan: hardened images\n")
    assert "## Phase 4: Production (week 9-12)" in text
    assert "### `16-python-shell-cmd-var/Dockerfile`" in text


def test_empty_shipped_catalog_maps_nothing(tmp_path: Path, corpus: Path) -> None:
    root = _repo(tmp_path, corpus)
    r = runner.invoke(app, ["migrate", "scan", str(root), "--json", "--catalog", str(tmp_path)])
    assert r.exit_code == 0
    assert {u["confidence"] for f in json.loads(r.stdout)["files"] for u in f["uses"]} == {"none"}
    r = runner.invoke(app, ["migrate", "scan", str(root), "--catalog", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "not a directory" in flat(r.output)


def test_help_renders() -> None:
    for verb in ("scan", "apply", "plan"):
        r = runner.invoke(app, ["migrate", verb, "--help"])
        assert r.exit_code == 0, r.output
        assert "REGISTRY[/NAMESPACE]" in flat(r.output)
