"""Blob uploads (distribution spec "Pushing blobs"): monolithic, chunked, resumable.

A monolithic upload is POST (open a session) then one PUT `?digest=` with the bytes. A
chunked upload PATCHes `Content-Range: start-end` pieces, each answered with the session's
next Location and the `Range: 0-last` received so far; PUT `?digest=` closes it. When a
chunk fails after the transport's own retries, the uploader asks the session where it
stands (GET on the Location: 204 with `Range`) and continues from there; if the session is
gone (the registry restarted and forgot it), it opens a new one and starts over, a bounded
number of times.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from hardbake.errors import NetworkError
from hardbake.oci.registry import digests
from hardbake.oci.registry.errors import RegistryNotFound, RegistryRefused, raise_for
from hardbake.oci.registry.transport import Transport

DEFAULT_CHUNK = 8 * 1024 * 1024
_RANGE_RE = re.compile(r"^(?:bytes=)?(\d+)-(\d+)$")

#: Called with (bytes confirmed by the registry, total) after every chunk.
Progress = Callable[[int, int], None]


class BlobSource(Protocol):
    """Bytes that can be read again from any offset (so a failed chunk can be resent)."""

    @property
    def size(self) -> int: ...

    def read(self, offset: int, length: int) -> bytes: ...


@dataclass
class BytesSource:
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


@dataclass
class FileSource:
    path: Path

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def read(self, offset: int, length: int) -> bytes:
        with self.path.open("rb") as f:
            f.seek(offset)
            return f.read(length)


@dataclass
class UploadStats:
    """What an upload cost: useful to tell a resume from a restart in tests and logs."""

    bytes_sent: int = 0
    sessions: int = 0
    resumes: int = 0


class Uploader:
    def __init__(
        self, transport: Transport, repo: str, scopes: tuple[str, ...], max_restarts: int = 3
    ) -> None:
        self.t = transport
        self.repo = repo
        self.scopes = scopes
        self.max_restarts = max_restarts
        self.stats = UploadStats()

    def _open(self) -> str:
        resp = self.t.request("POST", f"/v2/{self.repo}/blobs/uploads/", scopes=self.scopes)
        raise_for(resp, f"open upload in {self.repo}", (202,))
        self.stats.sessions += 1
        return self._location(resp)

    def _location(self, resp: httpx.Response) -> str:
        loc = resp.headers.get("Location")
        if not loc:
            raise NetworkError(f"registry {self.t.registry}: upload answer without a Location header")
        return str(resp.url.join(loc))

    def _put(self, location: str, digest: str, body: bytes) -> None:
        sep = "&" if "?" in location else "?"
        resp = self.t.request(
            "PUT",
            f"{location}{sep}digest={digest}",
            scopes=self.scopes,
            headers={"Content-Type": "application/octet-stream"},
            content=body,
        )
        raise_for(resp, f"close upload of {digest} in {self.repo}", (201,))
        got = resp.headers.get("Docker-Content-Digest")
        if got and got != digest:
            raise NetworkError(
                f"registry stored {digest} as {got}: it computed another digest of the bytes sent"
            )

    def monolithic(self, source: BlobSource, digest: str) -> None:
        body = source.read(0, source.size)
        for attempt in range(self.max_restarts + 1):
            location = self._open()
            self.stats.bytes_sent += len(body)
            try:
                self._put(location, digest, body)
                return
            except (NetworkError, RegistryNotFound, RegistryRefused) as e:
                if _bytes_refused(e) or attempt == self.max_restarts:
                    msg = f"upload of {digest} to {self.repo} failed {attempt + 1} times; last: {e.message}"
                    raise NetworkError(msg) from e

    def _status(self, location: str) -> tuple[str, int] | None:
        """(location, next offset) of a live session, or None if the registry forgot it."""
        try:
            resp = self.t.request("GET", location, scopes=self.scopes)
        except NetworkError:
            return None
        if resp.status_code in (404, 400):
            return None
        raise_for(resp, f"upload status in {self.repo}", (204, 200))
        m = _RANGE_RE.match(resp.headers.get("Range", ""))
        offset = int(m.group(2)) + 1 if m else 0
        return self._location(resp) if resp.headers.get("Location") else location, offset

    def chunked(
        self, source: BlobSource, digest: str, chunk: int = DEFAULT_CHUNK, progress: Progress | None = None
    ) -> None:
        total = source.size
        location = self._open()
        offset = 0
        restarts = 0
        while True:
            try:
                while offset < total:
                    body = source.read(offset, chunk)
                    end = offset + len(body) - 1
                    resp = self.t.request(
                        "PATCH",
                        location,
                        scopes=self.scopes,
                        headers={
                            "Content-Type": "application/octet-stream",
                            "Content-Range": f"{offset}-{end}",
                            "Content-Length": str(len(body)),
                        },
                        content=body,
                    )
                    self.stats.bytes_sent += len(body)
                    raise_for(resp, f"upload chunk {offset}-{end} of {digest}", (202,))
                    location = self._location(resp)
                    m = _RANGE_RE.match(resp.headers.get("Range", ""))
                    offset = int(m.group(2)) + 1 if m else end + 1
                    if progress:
                        progress(offset, total)
                self._put(location, digest, b"")
                return
            except (NetworkError, RegistryNotFound, RegistryRefused) as e:
                if _bytes_refused(e):
                    raise
                # A session the registry forgot (restarted: BLOB_UPLOAD_UNKNOWN/INVALID) or a
                # connection that failed for good: ask where the session stands.
                status = self._status(location)
                if status is not None:
                    self.stats.resumes += 1
                    location, offset = status
                    continue
                restarts += 1
                if restarts > self.max_restarts:
                    raise NetworkError(
                        f"upload of {digest} to {self.repo} failed {restarts} times; last error: {e.message}"
                    ) from e
                location, offset = self._open(), 0


def _bytes_refused(e: Exception) -> bool:
    """The registry hashed what it received and it is not the digest: sending again won't help."""
    return isinstance(e, RegistryRefused) and "DIGEST_INVALID" in e.message


def upload(
    transport: Transport,
    repo: str,
    scopes: tuple[str, ...],
    source: BlobSource,
    digest: str,
    chunk: int | None,
    progress: Progress | None = None,
) -> UploadStats:
    """Upload `source` as blob `digest`: monolithic unless `chunk` is set and smaller than it."""
    digests.validate(digest)
    up = Uploader(transport, repo, scopes)
    if chunk and source.size > chunk:
        up.chunked(source, digest, chunk, progress)
    else:
        up.monolithic(source, digest)
    return up.stats
