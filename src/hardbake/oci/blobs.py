"""A content-addressed directory of blobs: `ROOT/sha256/<hex>`, as in an OCI layout.

Blobs are written to a temporary file beside their final place and renamed once complete
and hashed, so a blob path that exists always holds the bytes its name promises (unless
something outside hardbake changed it: reads verify anyway). Existing blobs are never
rewritten. Files are created 0644 whatever the umask, so two layouts written by different
users compare equal.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from hardbake.oci.digest import Digest, VerifyingReader
from hardbake.oci.errors import DigestMismatch, ImageError

_COPY = 1 << 20
#: Manifests, configs and other JSON blobs read whole are refused above this size.
SMALL_BLOB_LIMIT = 64 << 20


class BlobWriter:
    """A blob being written. `commit()` hashes, checks, and moves it into the store."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        fd, tmp = tempfile.mkstemp(prefix=".blob-", suffix=".tmp", dir=store.tmp_dir)
        os.fchmod(fd, 0o644)
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0
        self.digest: Digest | None = None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)
        return len(data)

    def commit(self, expected: Digest | None = None, expected_size: int | None = None) -> Digest:
        """Finish the blob; with `expected`, bytes that hash differently are refused."""
        self._file.flush()
        if self._store.fsync:
            os.fsync(self._file.fileno())
        self._file.close()
        digest = Digest.from_hasher(self._hash)
        if (expected is not None and digest != expected) or (
            expected_size is not None and self.size != expected_size
        ):
            self.abort()
            raise DigestMismatch(
                f"blob expected to be {expected} ({expected_size} bytes) is {digest} ({self.size} bytes)",
                hint="the source is corrupt or was tampered with",
            )
        target = self._store.path(digest)
        if target.exists() and target.stat().st_size == self.size:
            self._tmp.unlink(missing_ok=True)  # same name, same size: never rewrite a blob
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._tmp, target)
        self.digest = digest
        return digest

    def abort(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.digest is None:
            self.abort()


class BlobStore:
    """Blobs under `root/sha256/`. `tmp_dir` (same filesystem) holds blobs being written."""

    def __init__(self, root: Path, *, tmp_dir: Path | None = None, fsync: bool = True) -> None:
        self.root = Path(root)
        self.tmp_dir = Path(tmp_dir) if tmp_dir is not None else self.root / "sha256"
        self.fsync = fsync
        self.root.joinpath("sha256").mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def path(self, digest: Digest) -> Path:
        return self.root / "sha256" / digest.hex

    def has(self, digest: Digest, size: int | None = None) -> bool:
        try:
            st = self.path(digest).stat()
        except FileNotFoundError:
            return False
        return size is None or st.st_size == size

    def open(self, digest: Digest, size: int | None, what: str) -> BinaryIO:
        """A verifying stream over a blob; a missing blob or wrong size fails at once."""
        f = self.open_raw(digest, size, what)
        actual = os.fstat(f.fileno()).st_size
        return VerifyingReader(f, digest, actual, what)  # type: ignore[return-value]

    def open_raw(self, digest: Digest, size: int | None, what: str) -> BinaryIO:
        """The blob file itself (size checked, content not: wrap it in a VerifyingReader)."""
        try:
            f = open(self.path(digest), "rb")  # noqa: SIM115 - handed to the caller
        except FileNotFoundError:
            raise ImageError(f"{what}: blob {digest} is missing from {self.root}") from None
        actual = os.fstat(f.fileno()).st_size
        if size is not None and actual != size:
            f.close()
            raise DigestMismatch(
                f"{what}: blob {digest} has {actual} bytes, its descriptor says {size}",
                hint="the blob is corrupt or was tampered with; re-create or re-fetch it",
            )
        return f

    def read_bytes(self, digest: Digest, size: int | None, what: str) -> bytes:
        """A small blob (manifest, config), verified."""
        if size is not None and size > SMALL_BLOB_LIMIT:
            raise ImageError(f"{what}: {size} bytes is too large for a manifest or config")
        with self.open(digest, size, what) as f:
            return f.read()

    def writer(self) -> BlobWriter:
        """`with store.writer() as w: w.write(...); w.commit()`; uncommitted blobs vanish."""
        return BlobWriter(self)

    def write_bytes(self, data: bytes) -> Digest:
        digest = Digest.from_bytes(data)
        if self.has(digest, len(data)):
            return digest
        with self.writer() as w:
            w.write(data)
            return w.commit()

    def ingest(self, stream: BinaryIO, digest: Digest, size: int) -> None:
        """Copy a blob in from a stream unless already present; the bytes must match."""
        if self.has(digest, size):
            return
        with self.writer() as w:
            shutil.copyfileobj(stream, w, _COPY)
            w.commit(digest, size)

    def digests(self) -> Iterator[Digest]:
        for p in sorted(self.root.joinpath("sha256").iterdir()):
            with contextlib.suppress(Exception):
                yield Digest(p.name)
