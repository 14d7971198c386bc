"""Fixtures for the signing tests: keys and a registry client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hardbake.attest.keys import SigningKey, write_key_pair
from hardbake.oci.registry import CredentialSource, RegistryClient
from hardbake.testing.cosign import cosign_path
from hardbake.testing.images import build_go_binary
from hardbake.testing.registry import LocalRegistry

PASSWORD = b"correct horse battery staple"


@pytest.fixture(scope="session")
def cosign_bin() -> Path:
    return cosign_path()


@pytest.fixture(scope="session")
def key_password() -> bytes:
    return PASSWORD


@pytest.fixture(scope="session")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def keydir(tmp_path_factory: pytest.TempPathFactory, key: SigningKey) -> Path:
    d = tmp_path_factory.mktemp("keys")
    write_key_pair(key, d, PASSWORD)
    return d


@pytest.fixture()
def client(registry: LocalRegistry) -> Iterator[RegistryClient]:
    with httpx.Client(timeout=30) as http:
        yield RegistryClient(registry.host, http, CredentialSource())


@pytest.fixture(scope="session")
def go_binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test program as static linux/amd64 and linux/arm64 binaries."""
    d = tmp_path_factory.mktemp("go")
    return {arch: build_go_binary(d / f"app-{arch}", goarch=arch) for arch in ("amd64", "arm64")}
