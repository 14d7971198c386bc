"""A blob as a stream: `GET /v2/<name>/blobs/<digest>`, read lazily, resumed when cut.

A long download that loses its connection continues from where it stopped with a
`Range: bytes=N-` request (distribution spec "Pulling blobs": registries may answer 206).
A registry that ignores the range answers 200 with the whole blob; the first N bytes are
then read and thrown away, so the bytes handed out are the same either way. Reconnects use
the transport's retry budget (exponential backoff, bounded).

The stream also checks the size (when known) and, unless the caller hashes the bytes
itself (`verify=False`), the digest as the bytes go by, and raises `VerificationError` at
the end of a blob that is not what was asked for, so no caller can read a tampered blob to
its end without noticing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx

from hardbake.errors import NetworkError, VerificationError
from hardbake.oci.readstream import ReadStream
from hardbake.oci.registry import digests
from hardbake.oci.registry.errors import raise_for

if TYPE_CHECKING:
    from hardbake.oci.registry.client import RegistryClient

_CHUNK = 1024 * 1024
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class BlobStream(ReadStream):
    """Read-only stream over one registry blob; close it to release the connection."""

    def __init__(
        self, client: RegistryClient, repo: str, digest: str, size: int | None = None, *, verify: bool = True
    ) -> None:
        super().__init__()
        self._client = client
        self._repo = repo
        self._digest = digests.validate(digest)
        self._size = size
        self._what = f"blob {digest} from {client.registry}/{repo}"
        # verify=False: for a caller that hashes the bytes itself (hardbake.oci's images wrap
        # every blob in a VerifyingReader); hashing twice costs as much as the download here
        self._checker = digests.DigestChecker(digest) if verify else None
        self._pos = 0
        self._buf = b""
        self._stack: contextlib.ExitStack | None = None
        self._chunks: Iterator[bytes] | None = None
        self._delays = client.transport.retry.delays()
        self._eof = False
        self.reconnects = 0

    # -- connection ---------------------------------------------------------------------
    def _connect(self) -> None:
        self._disconnect()
        stack = contextlib.ExitStack()
        headers = {"Range": f"bytes={self._pos}-"} if self._pos else {}
        try:
            resp: httpx.Response = stack.enter_context(
                self._client.transport.stream(
                    "GET",
                    f"/v2/{self._repo}/blobs/{self._digest}",
                    scopes=self._client.pull_scope(self._repo),
                    headers=headers,
                )
            )
            if resp.status_code not in (200, 206):
                resp.read()
                raise_for(resp, f"GET {self._what}", (200, 206))
            chunks = resp.iter_bytes()  # as they arrive: a cut loses nothing already received
            if resp.status_code == 206:
                m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
                if not m or int(m.group(1)) != self._pos:
                    raise NetworkError(
                        f"{self._what}: asked for bytes {self._pos}- and got "
                        f"{resp.headers.get('Content-Range')!r}"
                    )
            elif self._pos:
                chunks = _skip(chunks, self._pos)  # the registry ignored Range: drop what we have
        except BaseException:
            stack.close()
            raise
        self._stack, self._chunks = stack, chunks

    def _disconnect(self) -> None:
        if self._stack is not None:
            with contextlib.suppress(Exception):
                self._stack.close()
        self._stack, self._chunks = None, None

    def _next_chunk(self) -> bytes:
        """The next piece of the blob (b"" at its end), reconnecting after a lost connection."""
        while True:
            try:
                if self._chunks is None:
                    self._connect()
                assert self._chunks is not None
                return next(self._chunks, b"")
            except (httpx.TransportError, NetworkError) as e:
                self._disconnect()
                delay = next(self._delays, None)
                if delay is None:
                    raise NetworkError(
                        f"{self._what}: connection lost at byte {self._pos} and not regained: {e}",
                        hint=f"is the registry {self._client.registry} up?",
                    ) from e
                self.reconnects += 1
                self._client.transport.sleep(delay)

    # -- io.RawIOBase ---------------------------------------------------------------------
    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while chunk := self.read(_CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        if n == 0 or self._eof:
            return b""
        if not self._buf:
            self._buf = self._next_chunk()
            if not self._buf:
                self._finish()
                return b""
        data, self._buf = self._buf[:n], self._buf[n:]
        self._pos += len(data)
        if self._checker is not None:
            self._checker.update(data)
        if self._size is not None and self._pos > self._size:
            raise VerificationError(f"{self._what}: more than the {self._size} bytes expected")
        return data

    def _finish(self) -> None:
        self._eof = True
        self._disconnect()
        if self._size is not None and self._pos != self._size:
            raise VerificationError(f"{self._what}: {self._pos} bytes, expected {self._size} (truncated)")
        if self._checker is not None:
            self._checker.check(self._what)

    def close(self) -> None:
        self._disconnect()
        super().close()


def _skip(chunks: Iterator[bytes], count: int) -> Iterator[bytes]:
    for chunk in chunks:
        if count >= len(chunk):
            count -= len(chunk)
            continue
        yield chunk[count:]
        count = 0
        yield from chunks
        return
