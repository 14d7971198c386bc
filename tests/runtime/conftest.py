"""Runtime test fixtures: the shell-less hbtest image, and containers that clean up after themselves."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hardbake.testing.goimage import TEST_LABEL, GoImage, hbtest_image


@pytest.fixture(scope="session")
def hbtest(docker_engine: Any) -> GoImage:
    """The hbtest image (built once, cached in the engine by content hash)."""
    return hbtest_image(docker_engine)


@pytest.fixture()
def unique() -> Callable[[str], str]:
    """Unique container names, so parallel workers and reruns never collide."""

    def make(prefix: str) -> str:
        return f"hbt-{prefix}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture()
def containers(docker_engine: Any) -> Iterator[Callable[..., Any]]:
    """Create test containers (labelled, --network none unless told) and remove them afterwards."""
    run_id = uuid.uuid4().hex[:12]
    made: list[Any] = []

    def create(image: str, command: list[str] | None = None, *, start: bool = True, **kwargs: Any) -> Any:
        kwargs.setdefault("network_mode", "none")
        kwargs.setdefault("name", f"hbt-{uuid.uuid4().hex[:10]}")
        labels = dict(kwargs.pop("labels", {}) or {})
        labels[TEST_LABEL] = run_id
        c = docker_engine.containers.create(image, command, labels=labels, **kwargs)
        made.append(c)
        if start:
            c.start()
        return c

    yield create
    for c in made:
        with contextlib.suppress(Exception):
            c.remove(force=True)
    # Anything started by the code under test with this run's label goes too.
    for c in docker_engine.containers.list(all=True, filters={"label": f"{TEST_LABEL}={run_id}"}):
        c.remove(force=True)
