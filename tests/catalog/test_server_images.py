"""Every server image of the catalog passes its own spec tests (amd64), as `hardbake test` runs
them, and the image itself holds what the catalog docs promise (read back with `hardbake
compare`'s fact collector, independently of the builder's own report).

The databases' tests are scenarios: the -dev image initialises a data directory in a Docker
volume, the hardened runtime serves it to a client on the host (create, insert, select), and
a second runtime container on the same volume still has the row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.compare.facts import facts
from hardbake.oci import open_image
from hardbake.oci.reference import parse_image_ref
from hardbake.spec import catalog

pytestmark = [pytest.mark.online, pytest.mark.docker]
runner = CliRunner()

SERVER_FAMILIES = ("nginx", "httpd", "postgres", "mariadb", "redis")
RUNTIME = sorted(e.name for e in catalog.entries() if e.family in SERVER_FAMILIES and e.variant == "runtime")
DATABASES = ("postgres", "mariadb")
#: what each family may have on PATH (the hardening report lists every program)
PROGRAMS = {
    "nginx": {"nginx"},
    "httpd": {"apache2", "httpd", "httpd-foreground"},
    "redis": {"redis-server", "redis-cli", "redis-check-rdb", "redis-check-aof"},
    "postgres": {"postgres", "psql", "pg_isready", "pg_dump", "pg_dumpall", "pg_restore", "pg_basebackup", "pg_controldata"},
    "mariadb": {"mariadbd", "mysqld", "mariadb", "mysql", "mariadb-admin", "mysqladmin", "mariadb-dump", "mysqldump"},
}  # fmt: skip


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-cache")


def test_the_catalog_has_every_server_image() -> None:
    names = {f"{e.family}:{t}" for e in catalog.entries() for t in e.tags}
    for n in ("nginx:debian12", "nginx:debian13", "httpd:debian12", "httpd:debian13", "postgres:15",
              "postgres:17", "mariadb:10.11", "mariadb:11.8", "redis:debian12", "redis:debian13",
              "postgres:17-dev", "mariadb:10.11-dev", "nginx:debian13-dev", "redis:latest"):  # fmt: skip
        assert n in names, n
    assert len(RUNTIME) == 10


@pytest.mark.parametrize("name", RUNTIME)
def test_server_image_passes_its_tests(name: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARDBAKE_CACHE", str(cache))
    r = runner.invoke(app, ["test", name, "--arch", "amd64", "--json"])
    report = json.loads(r.stdout) if r.stdout.strip().startswith("{") else None
    assert r.exit_code == 0, r.output
    assert report is not None and report["passed"]
    steps = [s["name"] for s in report["steps"]]
    family = name.split(":")[0]
    if family in DATABASES:
        assert any(s.startswith("init:") for s in steps) and "a restart keeps the data" in steps
    assert "no shell" in steps

    # the image as built, read back independently of the builder's report
    image = report["image"]
    f = facts(open_image(parse_image_ref(f"docker-daemon:{image}")), image, compressed=False)
    assert f.user == "65532:65532"
    assert not f.shells and not f.package_managers and not f.setuid
    assert set(f.programs) <= PROGRAMS[family], f.programs
    assert not [p for p in f.packages if p.startswith(("perl", "libperl", "dpkg", "passwd", "login"))]
