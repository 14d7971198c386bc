"""Fixtures for the vulnerability tests: a DB filled from the real samples in ../shared/data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hardbake.vuln.db import VulnDB

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A DB with the tracker sample, the PyPI OSV data and the Node.js WG data (built once per worker)."""
    path = tmp_path_factory.mktemp("vulndb") / "vuln.sqlite"
    with VulnDB.open(path, clock=lambda: NOW) as db:
        db.update(
            [
                str(shared_data / "debian_tracker_sample.json"),
                str(shared_data / "pypi_pypa_advisory_db_osv.json"),
                str(shared_data / "npm_nodejs_security_wg.json"),
            ]
        )
    return path


@pytest.fixture()
def sample_db(sample_db_path: Path) -> Iterator[VulnDB]:
    with VulnDB.open(sample_db_path, clock=lambda: NOW) as db:
        yield db


@pytest.fixture(scope="session")
def bookworm_versions(shared_data: Path) -> dict[str, str]:
    """Source package -> newest bookworm (point release) version, from the real archive sample."""
    data = json.loads((shared_data / "bookworm_source_versions.json").read_text())
    out = {}
    for src, suites in data.items():
        if src == "_meta" or not suites or "bookworm" not in suites:
            continue
        out[src] = suites["bookworm"]["source_versions"][0]
    return out
