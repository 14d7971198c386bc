"""Fixtures for the distribution client tests: a client bound to the `registry` fixture."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hardbake.oci.registry import CredentialSource, RegistryClient, RetryPolicy
from hardbake.testing.registry import LocalRegistry


@pytest.fixture()
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c


@pytest.fixture()
def client(registry: LocalRegistry, http: httpx.Client) -> RegistryClient:
    return RegistryClient(
        registry.host,
        http,
        CredentialSource(),
        retry=RetryPolicy(attempts=3, base=0.05),
        chunk_size=256 * 1024,
    )
