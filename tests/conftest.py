"""Fixtures shared by the whole suite: real engine, real registry, isolated cache dirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hardbake.testing.engine import docker_client
from hardbake.testing.registry import LocalRegistry, local_registry


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own HARDBAKE_CACHE unless it sets one itself."""
    monkeypatch.setenv("HARDBAKE_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("HARDBAKE_MIRROR", raising=False)
    monkeypatch.delenv("HARDBAKE_SECURITY_MIRROR", raising=False)


@pytest.fixture(scope="session")
def docker_engine() -> Any:
    return docker_client()


@pytest.fixture()
def registry() -> Iterator[LocalRegistry]:
    with local_registry() as reg:
        yield reg


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the project (read-only upstream samples)."""
    here = Path(__file__).resolve().parent.parent
    p = here.parent / "shared" / "data"
    assert p.is_dir(), f"{p} missing: the shared data directory must sit beside the project"
    return p
