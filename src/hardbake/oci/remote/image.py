"""Images and indexes in a registry repository, read lazily; `read(ref, access)` opens one.

The manifest is fetched (and checked against the digest it was asked by, or the registry's
`Docker-Content-Digest` for a tag); blobs are fetched only when read, as streams that resume
after a lost connection, and `Image.open_blob` checks each against its digest and size.
With `cache=True` a blob read to its end is kept in a temporary directory until the object
`read` returned is closed, so a second pass over the layers reads local files.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO

from hardbake.oci import mediatype as mt
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import ImageError
from hardbake.oci.image import Image, ImageIndex, memo
from hardbake.oci.manifest import Index, Manifest
from hardbake.oci.reference import RegistryRef
from hardbake.oci.registry import RegistryClient
from hardbake.oci.registry.client import Manifest as StoredManifest
from hardbake.oci.remote.access import RegistryAccess


class _BlobCache:
    """Blobs read to their end, kept until the image that owns this cache is closed."""

    def __init__(self, tmp_dir: Path | None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="hardbake-remote-", dir=tmp_dir)
        self.root = Path(self._dir.name)
        self._have: set[Digest] = set()
        self._lock = threading.Lock()

    def path(self, digest: Digest) -> Path | None:
        with self._lock:
            return self.root / digest.hex if digest in self._have else None

    def keep(self, digest: Digest, tmp: Path) -> None:
        with self._lock:
            os.replace(tmp, self.root / digest.hex)
            self._have.add(digest)

    def close(self) -> None:
        self._dir.cleanup()


class _Tee:
    """Copies a verifying blob stream into the cache as it is read; kept only if read whole."""

    def __init__(self, stream: BinaryIO, cache: _BlobCache, digest: Digest) -> None:
        self._stream, self._cache, self._digest = stream, cache, digest
        fd, name = tempfile.mkstemp(prefix=".part-", dir=cache.root)
        self._tmp = Path(name)
        self._file = os.fdopen(fd, "wb")

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)  # the stream verifies digest and size at its end
        if data:
            self._file.write(data)
        elif not self._file.closed:
            self._file.close()
            self._cache.keep(self._digest, self._tmp)
        return data

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
            self._tmp.unlink(missing_ok=True)
        self._stream.close()

    def __enter__(self) -> _Tee:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Source:
    """What a remote image or index shares with its children: client, repository, and, for
    the object `read` returned (`owns`), the blob cache and access to release on close."""

    def __init__(
        self,
        client: RegistryClient,
        repo: str,
        name: str,
        cache: _BlobCache | None,
        owner: RegistryAccess | None,
        owns: bool = True,
    ) -> None:
        self.client, self.repo, self.name, self.cache, self.owner = client, repo, name, cache, owner
        self.owns = owns

    def borrowed(self) -> _Source:
        return _Source(self.client, self.repo, self.name, self.cache, self.owner, owns=False)

    def open(self, stored: StoredManifest) -> RemoteImage | RemoteIndex:
        if mt.is_index(stored.media_type):
            return RemoteIndex(self, stored)
        if mt.is_manifest(stored.media_type):
            return RemoteImage(self, stored)
        raise ImageError(
            f"{self.name}@{stored.digest}: media type {stored.media_type!r} is neither an image "
            "manifest nor an index",
            hint="Docker schema 1 images are not supported: re-push with a current client",
        )

    def close(self) -> None:
        if not self.owns:
            return
        if self.cache is not None:
            self.cache.close()
        if self.owner is not None:
            self.owner.close()


class RemoteImage(Image):
    """An image manifest in a registry repository; blobs fetched on demand."""

    def __init__(self, source: _Source, stored: StoredManifest) -> None:
        self._src, self._stored = source, stored

    @property
    def client(self) -> RegistryClient:
        return self._src.client

    @property
    def repository(self) -> str:
        return self._src.repo

    def raw_manifest(self) -> bytes:
        return self._stored.data

    def manifest(self) -> Manifest:
        return memo(
            self,
            "manifest",
            lambda: Manifest.from_bytes(self._stored.data, f"manifest of {self}", self._stored.media_type),
        )

    def _open_raw(self, desc: Descriptor) -> BinaryIO:
        cache = self._src.cache
        if cache is not None:
            hit = cache.path(desc.digest)
            if hit is not None:
                return open(hit, "rb")
        # open_blob wraps this in a VerifyingReader (digest and size): no second hash here
        stream: BinaryIO = self.client.open_blob(self.repository, str(desc.digest), desc.size, verify=False)  # type: ignore[assignment]
        if cache is not None:
            return _Tee(stream, cache, desc.digest)  # type: ignore[return-value]
        return stream

    def close(self) -> None:
        self._src.close()

    def __str__(self) -> str:
        return f"{self._src.name}@{self._stored.digest}"


class RemoteIndex(ImageIndex):
    """An index (or Docker manifest list) in a registry repository; children fetched on demand."""

    def __init__(self, source: _Source, stored: StoredManifest) -> None:
        self._src, self._stored = source, stored

    def raw_manifest(self) -> bytes:
        return self._stored.data

    def index_manifest(self) -> Index:
        return memo(
            self,
            "index",
            lambda: Index.from_bytes(self._stored.data, f"index of {self}", self._stored.media_type),
        )

    def child(self, desc: Descriptor) -> Image | ImageIndex:
        if desc not in self.index_manifest().manifests:
            raise ImageError(f"{self} does not list {desc.digest}")
        stored = self._src.client.fetch_manifest(self._src.repo, str(desc.digest))  # verified by digest
        if stored.media_type != desc.media_type:
            raise ImageError(
                f"{self}: {desc.digest} is {stored.media_type}, the index says {desc.media_type}"
            )
        return self._src.borrowed().open(stored)

    def hand_over(self, child: Image | ImageIndex) -> None:
        """Make `child` (opened from this index) the owner of the cache and connections, for a
        caller that keeps the child and drops the index (`open_image` of a platform)."""
        if isinstance(child, RemoteImage | RemoteIndex) and self._src.owns:
            child._src, self._src = self._src, self._src.borrowed()

    def close(self) -> None:
        self._src.close()

    def __str__(self) -> str:
        return f"{self._src.name}@{self._stored.digest}"


def read(
    ref: RegistryRef,
    access: RegistryAccess,
    *,
    owns_access: bool = False,
    cache: bool = False,
    tmp_dir: Path | None = None,
) -> RemoteImage | RemoteIndex:
    """The image or index `ref` names (by digest if it has one, else by tag).

    With `owns_access`, closing the result closes `access` too; with `cache`, blobs read
    whole are kept in a temporary directory (under `tmp_dir`) until the result is closed.
    """
    client = access.client(ref.registry)
    reference = ref.digest or ref.tag or "latest"
    stored = client.fetch_manifest(ref.repository, reference)
    blob_cache = _BlobCache(tmp_dir) if cache else None
    source = _Source(client, ref.repository, ref.name, blob_cache, access if owns_access else None)
    try:
        return source.open(stored)
    except BaseException:
        source.close()
        raise
