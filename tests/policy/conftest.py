"""Fixtures for the policy tests: a self-signed TLS pair and a webhook served over real HTTPS."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from hardbake.policy.check import build_policy
from hardbake.policy.config import PolicyConfig
from hardbake.policy.webhook import create_app
from hardbake.testing.net import free_port, wait_for_port
from hardbake.testing.tls import TlsPair, make_tls_pair


@pytest.fixture()
def tls_pair(tmp_path: Path) -> TlsPair:
    return make_tls_pair(tmp_path)


@dataclass(frozen=True)
class Served:
    url: str
    cert: Path


def serve_in_thread(app: object, pair: TlsPair) -> Iterator[Served]:
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ssl_certfile=str(pair.cert),  # type: ignore[arg-type]
        ssl_keyfile=str(pair.key),
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield Served(f"https://127.0.0.1:{port}", pair.cert)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture()
def webhook(tls_pair: TlsPair) -> Iterator[Served]:
    cfg = PolicyConfig.model_validate({"namespaces": {"dev-*": "dev"}})
    yield from serve_in_thread(create_app(build_policy(cfg)), tls_pair)
