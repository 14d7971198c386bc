"""`hardbake resolve` and `hardbake fetch` as a user runs them (in-process CLI runner)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.testing.debs import DebSpec

runner = CliRunner()


def _args(site: Any) -> list[str]:
    return [
        "--mirror",
        f"{site.url}/debian",
        "--security-mirror",
        f"{site.url}/debian-security",
        "--keyring",
        str(site.repo.key.keyring),
        "--refresh",
    ]


@pytest.fixture()
def published(site: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HARDBAKE_CACHE", str(site.cache))
    site.repo.add(
        "trixie",
        DebSpec("app", depends="libfoo, debconf | debconf-2.0"),
        DebSpec("libfoo"),
        DebSpec("debconf"),
    )
    site.repo.publish("trixie")
    return site


def test_resolve_json_and_table(published: Any) -> None:
    r = runner.invoke(app, ["resolve", "app", "--suite", "trixie", "--json", *_args(published)])
    assert r.exit_code == 0, r.output
    lock = json.loads(r.stdout)
    assert [p["name"] for p in lock["packages"]] == ["app", "debconf", "libfoo"]
    r = runner.invoke(app, ["resolve", "app", *_args(published)])
    assert r.exit_code == 0 and "3 packages for amd64" in r.stdout


def test_resolve_drop_and_why(published: Any) -> None:
    r = runner.invoke(app, ["resolve", "app", "--drop", "debconf=no scripts", "--json", *_args(published)])
    lock = json.loads(r.stdout)
    assert [p["name"] for p in lock["packages"]] == ["app", "libfoo"]
    assert lock["cuts"][0]["dropped"] == "debconf" and lock["cuts"][0]["reason"] == "no scripts"
    r = runner.invoke(app, ["resolve", "app", "--why", "libfoo", *_args(published)])
    assert r.exit_code == 0 and "app" in r.stdout and "<- Depends: libfoo" in r.stdout
    r = runner.invoke(app, ["resolve", "app", "--drop", "debconf", *_args(published)])
    assert r.exit_code == 2 and "PKG=REASON" in r.output


def test_resolve_missing_package_exits_2(published: Any) -> None:
    r = runner.invoke(app, ["resolve", "nope", *_args(published)])
    assert r.exit_code == 2
    assert "nope does not exist" in r.output


def test_fetch_lock_then_offline(published: Any, tmp_path: Path) -> None:
    lock = tmp_path / "app.lock.json"
    r = runner.invoke(app, ["resolve", "app", "-o", str(lock), "--json", *_args(published)])
    assert r.exit_code == 0 and lock.exists()
    r = runner.invoke(app, ["fetch", "--lock", str(lock), "--json", *_args(published)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["downloaded"] == 3 and all(Path(p["path"]).exists() for p in out["packages"])
    r = runner.invoke(app, ["fetch", "--lock", str(lock), "--offline", *_args(published)])
    assert r.exit_code == 0 and "3 already cached" in r.stdout
    Path(out["packages"][0]["path"]).unlink()
    r = runner.invoke(app, ["fetch", "--lock", str(lock), "--offline", *_args(published)])
    assert r.exit_code == 2 and "app=1.0-1" in r.output


def test_tampering_exits_3(published: Any) -> None:
    dist = published.repo.root / "dists" / "trixie"
    (dist / "InRelease").write_bytes(
        (dist / "InRelease").read_bytes().replace(b"Suite: trixie", b"Suite: trixiE")
    )
    r = runner.invoke(app, ["resolve", "app", *_args(published)])
    assert r.exit_code == 3 and "InRelease" in r.output


def test_version_and_help() -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.startswith("hardbake ")
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0 and "resolve" in r.stdout and "fetch" in r.stdout
