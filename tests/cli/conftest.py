"""Fixtures of the scan/vex CLI tests: real images and a DB of the real samples."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hardbake.oci import archive, mutate
from hardbake.oci.blobs import BlobStore
from hardbake.oci.layer import write_layers
from hardbake.testing.distroless import Runtime, build_runtime
from hardbake.testing.sbomimages import EPOCH, dist_info, entries, npm_package
from hardbake.testing.standard import StandardImage
from hardbake.vuln.db import VulnDB

VENV = "opt/venv/lib/python3.11/site-packages"


@pytest.fixture(scope="session")
def runtime(debian_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    return build_runtime(debian_cache, tmp_path_factory.mktemp("runtime"))


@pytest.fixture(scope="session")
def vuln_db(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The tracker sample, PyPI OSV and Node.js WG data, imported as published."""
    path = tmp_path_factory.mktemp("vulndb") / "vuln.sqlite"
    with VulnDB.open(path) as db:
        db.update(
            [
                str(shared_data / "debian_tracker_sample.json"),
                str(shared_data / "pypi_pypa_advisory_db_osv.json"),
                str(shared_data / "npm_nodejs_security_wg.json"),
            ]
        )
    return path


@pytest.fixture()
def fresh_db(vuln_db: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy a test may write to (changelog evidence)."""
    p = tmp_path / "vuln.sqlite"
    p.write_bytes(vuln_db.read_bytes())
    yield p


@pytest.fixture(scope="session")
def std_apps(std_python: StandardImage, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The standard image plus a venv with old PyPI packages and a node_modules tree with old
    npm packages named in the samples (a docker-archive)."""
    tmp = tmp_path_factory.mktemp("std-apps")
    venv = {
        **dist_info(VENV, "Jinja2", "2.10", license="BSD"),
        **dist_info(VENV, "urllib3", "1.24.1", license="MIT"),
        **dist_info(VENV, "requests", "2.32.3", license="Apache-2.0"),
    }
    node = {
        **npm_package("app/node_modules", "lodash", "4.17.4"),
        **npm_package("app/node_modules/express/node_modules", "ms", "0.7.0"),
    }
    layers = write_layers(
        [entries(venv), entries(node)],
        BlobStore(tmp / "store", fsync=False),
        source_date_epoch=EPOCH,
        add_parents=True,
    )
    out = tmp / "std-apps.tar"
    with archive.read(std_python.archive) as base:
        archive.write(out, mutate.append_layers(base, layers), tags=("hardbake-test/std-apps:1",))
    return f"docker-archive:{out}"
