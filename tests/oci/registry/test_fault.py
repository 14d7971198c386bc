"""Fault tests: the registry process dies in the middle of a chunked push and comes back."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hardbake.oci.registry import CredentialSource, RegistryClient, RetryPolicy, digests
from hardbake.testing.net import free_port, wait_for_port
from hardbake.testing.registry import LocalRegistry, _spawn

BLOB = 6 * 1024 * 1024
CHUNK = 512 * 1024


def _kill_and_restart_after(reg: LocalRegistry, chunks: int) -> tuple[list[float], object]:
    """A progress callback that kills the registry after `chunks` chunks, restarting it 0.5 s later."""
    events: list[float] = []
    done = {"n": 0}

    def progress(sent: int, total: int) -> None:
        done["n"] += 1
        if done["n"] == chunks:
            reg.stop()
            events.append(time.monotonic())

            def restart() -> None:
                time.sleep(0.5)
                reg.start()
                events.append(time.monotonic())

            threading.Thread(target=restart, daemon=True).start()

    return events, progress


def _push_through_crash(reg: LocalRegistry) -> tuple[RegistryClient, bytes, str, list[float]]:
    data = os.urandom(BLOB)
    digest = digests.sha256(data)
    events, progress = _kill_and_restart_after(reg, 3)
    http = httpx.Client(timeout=30)
    c = RegistryClient(
        reg.host,
        http,
        CredentialSource(),
        retry=RetryPolicy(attempts=10, base=0.1, cap=1.0),
        chunk_size=CHUNK,
    )
    start = time.monotonic()
    c.push_blob("fault/app", data, digest, progress=progress)  # type: ignore[arg-type]
    assert time.monotonic() - start < 60
    assert len(events) == 2, "the registry was killed and restarted during the push"
    return c, data, digest, events


@pytest.mark.timeout(120)
def test_push_survives_registry_restart(registry: LocalRegistry) -> None:
    """Default registry config: the restarted process cannot resume the old session
    (its upload state is signed with a per-process secret), so the client starts a new one."""
    c, data, digest, _ = _push_through_crash(registry)
    assert c.last_upload.sessions >= 2
    assert c.fetch_blob("fault/app", digest) == data


@pytest.fixture()
def registry_with_secret(tmp_path: Path) -> Iterator[LocalRegistry]:
    port = free_port()
    config = tmp_path / "reg.yml"
    config.write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp_path / 'data'}}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}, secret: fixed-test-secret}}\n"
    )
    reg = LocalRegistry(f"127.0.0.1:{port}", tmp_path, _spawn(config, tmp_path), config)
    try:
        wait_for_port(port)
        yield reg
    finally:
        reg.stop()


@pytest.mark.timeout(120)
def test_push_continues_session_after_restart(registry_with_secret: LocalRegistry) -> None:
    """With a stable upload secret the session outlives the process: the retried chunk goes
    to the same session and nothing already stored is sent again."""
    c, data, digest, _ = _push_through_crash(registry_with_secret)
    assert c.last_upload.sessions == 1 and c.last_upload.bytes_sent == BLOB
    assert c.fetch_blob("fault/app", digest) == data


def test_lost_answer_recovers(registry: LocalRegistry) -> None:
    """The network edge delivers a chunk but loses the answer. The blind retry of that range
    is refused; the client asks the session where it stands. docker-registry 2.8 binds each
    Location to an offset (its signed `_state`), so the stale session cannot be resumed and
    the client opens a new one: the pushed blob is still exactly the bytes."""
    real = httpx.HTTPTransport()
    patches = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        resp = real.handle_request(request)
        if request.method == "PATCH":
            patches["n"] += 1
            if patches["n"] == 3:
                resp.read()
                raise httpx.ReadError("injected: answer lost", request=request)
        return resp

    data = os.urandom(2 * 1024 * 1024)
    with httpx.Client(transport=httpx.MockTransport(handler), timeout=30) as http:
        c = RegistryClient(
            registry.host,
            http,
            CredentialSource(),
            retry=RetryPolicy(attempts=3, base=0.01),
            chunk_size=256 * 1024,
        )
        d = c.push_blob("fault/lost", data)
        assert c.last_upload.sessions == 2
        assert c.fetch_blob("fault/lost", d.digest) == data
