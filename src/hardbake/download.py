"""Verified HTTP downloads: retries with backoff, resume of partial files, atomic placement.

Every byte hardbake takes from the network goes through `Downloader.fetch`, which only
returns once the file's sha256 (and size) match what a signed index promised; until then the
bytes live in `<dest>.part`, so nothing unverified is ever visible at `dest`.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from hardbake.errors import IntegrityError, NetworkError

ProgressFn = Callable[[int], None]

_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Expected:
    sha256: str
    size: int | None = None


class Downloader:
    """Downloads through an injected httpx client (so tests can fault-inject at the edge)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        retries: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep

    def get_bytes(self, url: str, *, what: str, max_size: int = 64 << 20) -> bytes | None:
        """A small file (an InRelease) in memory; None on 404. Not verified here: the caller
        verifies it (a signature), which is why this is only for signed metadata."""
        for attempt in range(self.retries + 1):
            try:
                r = self.client.get(url)
                if r.status_code == 404:
                    return None
                if r.status_code in _RETRY_STATUS and attempt < self.retries:
                    self.sleep(self.backoff * 2**attempt)
                    continue
                if r.status_code != 200:
                    raise NetworkError(f"{what}: GET {url} answered HTTP {r.status_code}")
                if len(r.content) > max_size:
                    raise IntegrityError(f"{what}: {url} is larger than {max_size} bytes")
                return r.content
            except httpx.TransportError as e:
                if attempt >= self.retries:
                    raise NetworkError(
                        f"{what}: GET {url} failed after {attempt + 1} attempts: {e}",
                        hint="check the mirror URL (--mirror / HARDBAKE_MIRROR) and the network",
                    ) from e
                self.sleep(self.backoff * 2**attempt)
        raise NetworkError(f"{what}: GET {url} kept failing")  # pragma: no cover

    def fetch(
        self, url: str, dest: Path, expected: Expected, *, what: str, progress: ProgressFn | None = None
    ) -> Path:
        """Download `url` to `dest` if `dest` is not already there, verifying sha256 and size."""
        if dest.exists():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                self._stream(url, part, expected, what, progress)
                break
            except (httpx.TransportError, _Retryable) as e:
                last = e
                if attempt >= self.retries:
                    raise NetworkError(
                        f"{what}: downloading {url} failed after {attempt + 1} attempts: {e}",
                        hint="re-run to resume; partial data is kept in the cache",
                    ) from e
                self.sleep(self.backoff * 2**attempt)
        else:  # pragma: no cover
            raise NetworkError(f"{what}: {url}: {last}")
        self._verify(part, expected, what, url)
        os.replace(part, dest)
        return dest

    def _stream(
        self, url: str, part: Path, expected: Expected, what: str, progress: ProgressFn | None
    ) -> None:
        have = part.stat().st_size if part.exists() else 0
        if expected.size is not None and have > expected.size:
            part.unlink()
            have = 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with self.client.stream("GET", url, headers=headers) as r:
            if r.status_code == 416 and have:
                # asked past the end: what we have is complete (or wrong - verification decides)
                return
            if r.status_code in _RETRY_STATUS:
                raise _Retryable(f"HTTP {r.status_code}")
            if r.status_code == 404:
                raise NetworkError(f"{what}: {url} not found (HTTP 404)", hint="refresh the indices")
            if r.status_code not in (200, 206):
                raise NetworkError(f"{what}: GET {url} answered HTTP {r.status_code}")
            mode = "ab" if r.status_code == 206 else "wb"
            if r.status_code == 200 and have and progress:
                progress(-have)  # server ignored the range: start over
            with part.open(mode) as f:
                for chunk in r.iter_bytes(1 << 16):
                    f.write(chunk)
                    if progress:
                        progress(len(chunk))
                    if expected.size is not None and f.tell() > expected.size:
                        break  # never store more than promised; verification will fail

    @staticmethod
    def _verify(part: Path, expected: Expected, what: str, url: str) -> None:
        size = part.stat().st_size
        h = hashlib.sha256()
        with part.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        digest = h.hexdigest()
        if (expected.size is not None and size != expected.size) or digest != expected.sha256:
            part.unlink(missing_ok=True)
            raise IntegrityError(
                f"{what}: {url} does not match its index: expected sha256 {expected.sha256}"
                + (f" and {expected.size} bytes" if expected.size is not None else "")
                + f", got sha256 {digest} and {size} bytes",
                hint="the file was truncated or altered; it was not stored. Retry, or check the mirror",
            )


class _Retryable(Exception):
    pass


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
