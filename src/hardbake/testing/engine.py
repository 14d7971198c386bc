"""The real Docker engine for tests: a client, or a failure that says how to start one."""

from __future__ import annotations

from typing import Any

import docker


def docker_client() -> Any:
    """A docker SDK client that has answered a ping; raises with a clear hint otherwise."""
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as e:  # the SDK raises several unrelated types for "no engine"
        raise RuntimeError(f"no Docker engine answers ({e}); start one with scripts/docker-up") from e
    return client
