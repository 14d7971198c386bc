"""Fixtures of the OCI tests: a blob store per test, one static Go binary per session,
unique image names in the real engine (removed afterwards)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hardbake.oci.blobs import BlobStore
from hardbake.testing.images import build_go_binary


@pytest.fixture()
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "store", fsync=False)


@pytest.fixture(scope="session")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go_binary(tmp_path_factory.mktemp("go") / "app")


@pytest.fixture()
def engine_images(docker_engine: Any) -> Iterator[Callable[[], str]]:
    """Hands out unique image names and removes those images afterwards."""
    names: list[str] = []

    def make() -> str:
        names.append(f"hardbake-test/oci-{uuid.uuid4().hex[:12]}:1")
        return names[-1]

    yield make
    for name in names:
        with contextlib.suppress(Exception):  # best effort: the test may not have made it
            docker_engine.images.remove(name, force=True)
