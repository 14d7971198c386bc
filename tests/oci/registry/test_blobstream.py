"""Blob streams: a download cut mid-way resumes (Range) or restarts, and is always verified.

The registry is real; faults are injected at the network edge (an httpx transport that
cuts the body of a blob GET after some bytes)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from hardbake.errors import NetworkError, VerificationError
from hardbake.oci.registry import CredentialSource, RegistryClient, RetryPolicy
from hardbake.testing.registry import LocalRegistry

SIZE = 3 * 1024 * 1024


class _Cut(httpx.SyncByteStream):
    """A body that delivers `limit` bytes of the real one, then loses the connection."""

    def __init__(self, inner: httpx.Response, limit: int) -> None:
        self.inner, self.limit = inner, limit

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self.inner.iter_raw(64 * 1024):
            if sent + len(chunk) > self.limit:
                yield chunk[: self.limit - sent]
                raise httpx.ReadError("injected: connection lost")
            sent += len(chunk)
            yield chunk

    def close(self) -> None:
        self.inner.close()


def _client(handler: httpx.MockTransport, registry: LocalRegistry) -> RegistryClient:
    return RegistryClient(
        registry.host,
        httpx.Client(transport=handler, timeout=30),
        CredentialSource(),
        retry=RetryPolicy(attempts=4, base=0.01),
    )


def _faulty(cuts: list[int], honour_range: bool, seen: list[str | None]) -> httpx.MockTransport:
    real = httpx.HTTPTransport()

    def handler(request: httpx.Request) -> httpx.Response:
        is_blob_get = request.method == "GET" and "/blobs/sha256:" in request.url.path
        if is_blob_get:
            seen.append(request.headers.get("Range"))
            if not honour_range and "Range" in request.headers:
                del request.headers["Range"]
        resp = real.handle_request(request)
        if is_blob_get and cuts:
            return httpx.Response(resp.status_code, headers=resp.headers, stream=_Cut(resp, cuts.pop(0)))
        return resp

    return httpx.MockTransport(handler)


@pytest.fixture()
def pushed(registry: LocalRegistry) -> tuple[bytes, str]:
    data = os.urandom(SIZE)
    with httpx.Client(timeout=30) as http:
        d = RegistryClient(registry.host, http, CredentialSource()).push_blob("bs/app", data)
    return data, d.digest


@pytest.mark.parametrize("honour_range", [True, False], ids=["range", "no-range"])
def test_cut_download_resumes(registry: LocalRegistry, pushed: tuple[bytes, str], honour_range: bool) -> None:
    data, digest = pushed
    seen: list[str | None] = []
    # cut after 1,000,000 bytes, then 700,000 bytes later (a registry that ignores Range sends
    # the whole blob again: the cut comes 1,700,000 bytes into that body)
    cuts = [1_000_000, 700_000] if honour_range else [1_000_000, 1_700_000]
    client = _client(_faulty(cuts, honour_range, seen), registry)
    with client.open_blob("bs/app", digest, SIZE) as f:
        got = f.read()
        assert f.reconnects == 2
    assert got == data
    # the first request asks for everything, the next ones for what is missing
    assert seen == [None, "bytes=1000000-", "bytes=1700000-"]


def test_a_connection_that_keeps_failing_gives_up(registry: LocalRegistry, pushed: tuple[bytes, str]) -> None:
    _, digest = pushed
    client = _client(_faulty([100_000] * 10, True, []), registry)
    with client.open_blob("bs/app", digest, SIZE) as f, pytest.raises(NetworkError, match="connection lost"):
        f.read()


def test_wrong_size_is_refused(registry: LocalRegistry, pushed: tuple[bytes, str]) -> None:
    _, digest = pushed
    client = _client(_faulty([], True, []), registry)
    with (
        client.open_blob("bs/app", digest, SIZE - 1) as f,
        pytest.raises(VerificationError, match="more than"),
    ):
        f.read()
    with (
        client.open_blob("bs/app", digest, SIZE + 1) as f,
        pytest.raises(VerificationError, match="truncated"),
    ):
        f.read()
