"""Every runtime catalog image passes its own spec tests (amd64), as `hardbake test` runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.spec import catalog

pytestmark = [pytest.mark.online, pytest.mark.docker]
runner = CliRunner()

RUNTIME = sorted(e.name for e in catalog.entries() if e.variant == "runtime" and e.version is not None)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("catalog-cache")


@pytest.mark.parametrize("name", RUNTIME)
def test_runtime_image_passes_its_tests(name: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARDBAKE_CACHE", str(cache))
    r = runner.invoke(app, ["test", name, "--arch", "amd64", "--json"])
    report = json.loads(r.stdout) if r.stdout.strip().startswith("{") else None
    assert r.exit_code == 0, r.output
    assert report is not None and report["passed"] and len(report["steps"]) >= 2


def test_catalog_list_and_dotnet() -> None:
    r = runner.invoke(app, ["catalog", "list", "--json"])
    assert r.exit_code == 0
    names = {e["name"] for e in json.loads(r.stdout)}
    for n in ("python:3.13", "python:3.11", "node:20", "node:18", "java:21", "java:17", "python:3.13-dev"):
        assert n in names
    r = runner.invoke(app, ["build", "dotnet"])
    assert r.exit_code == 2 and ".NET is not in Debian" in r.output


def test_python_size_and_package_goals(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """python:3.13 (amd64): <= 30 packages and <= 5 programs on PATH; the size goal is measured
    by bench/catalog_table.py (docker save | gzip -6), not asserted here."""
    monkeypatch.setenv("HARDBAKE_CACHE", str(cache))
    r = runner.invoke(
        app, ["build", "python:3.13", "--arch", "amd64", "--json", "-o", f"oci:{tmp_path}/py:1"]
    )
    assert r.exit_code == 0, r.output
    p = json.loads(r.stdout)["platforms"][0]
    assert len(p["packages"]) <= 30
    assert p["hardening"]["programsOnPath"]["count"] <= 5
    names = {x.rsplit("/", 1)[-1] for x in p["hardening"]["programsOnPath"]["paths"]}
    assert {"python", "python3"} <= names


def test_python_image_is_reproducible_with_its_pyc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two builds of python:3.13 from empty caches (the .pyc compiled twice by the image's own
    interpreter, at different times, in another time zone) give the same digest."""
    digests = []
    for i, tz in enumerate(("UTC", "Pacific/Kiritimati")):
        monkeypatch.setenv("HARDBAKE_CACHE", str(tmp_path / f"cache-{i}"))
        monkeypatch.setenv("TZ", tz)
        r = runner.invoke(
            app, ["build", "python:3.13", "--arch", "amd64", "--json", "-o", f"oci:{tmp_path}/p{i}:1"]
        )
        assert r.exit_code == 0, r.output
        digests.append(json.loads(r.stdout)["digest"])
    assert digests[0] == digests[1]
