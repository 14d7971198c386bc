"""Images in a registry: `read` (lazy and verified) and `write` (exists, mount, upload, manifests).

The source and sink for `HOST/REPO:TAG` references, on top of the distribution client in
`hardbake.oci.registry` (which owns HTTP, auth, retries and resumable uploads):

- `read(ref, access)` fetches the manifest (checked against the digest it was asked by, or
  the registry's `Docker-Content-Digest` for a tag) and returns a `RemoteImage` or
  `RemoteIndex`. Blobs are fetched only when read, as streams that resume after a lost
  connection and are checked against digest and size at their end. With `cache=True`
  (what `open_image` uses) a blob read to its end is kept in a temporary directory until
  the image is closed, so a second pass over the layers reads local files.
- `write(obj, ref, access)` pushes an image, an artifact or a whole index: every blob first,
  several at a time (skipped when the repository has it, mounted when the source is another
  repository of the same registry, else uploaded: chunked and resumable above the chunk
  size), then the child manifests by digest, then the top manifest under the tag. A
  manifest with a `subject` lands in the subject's referrers (the client keeps the
  `sha256-<hex>` fallback index on registries without the referrers API).

`RegistryAccess` says how to reach registries (credentials, `--insecure`, retries, chunk
size, parallelism) and pools one client per registry over one HTTP connection pool.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import httpx

from hardbake.errors import Error, InputError
from hardbake.oci import mediatype as mt
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import DigestMismatch, ImageError
from hardbake.oci.image import Image, ImageIndex, blobs_of, memo, walk
from hardbake.oci.manifest import Index, Manifest
from hardbake.oci.progress import TransferProgress
from hardbake.oci.reference import RegistryRef
from hardbake.oci.registry import CredentialSource, RegistryClient, RetryPolicy, resolve_credentials
from hardbake.oci.registry.client import Manifest as StoredManifest
from hardbake.oci.registry.upload import BlobSource, BytesSource, FileSource

#: The API host of Docker Hub (the name `docker.io` has no registry API of its own).
_API_HOST = {"docker.io": "registry-1.docker.io"}
DEFAULT_CHUNK = 16 * 1024 * 1024
_SMALL = 1024 * 1024


def api_host(registry: str) -> str:
    return _API_HOST.get(registry, registry)


class RegistryAccess:
    """How one operation reaches registries; pools a client per registry. Close it when done.

    `credentials` maps a registry name (as written in references: `docker.io`,
    `127.0.0.1:5000`) to what to log in with; other registries get `resolve_credentials`
    (environment, then `~/.docker/config.json`). `http://` is used for loopback registries,
    and for any other only with `insecure=True`.
    """

    def __init__(
        self,
        *,
        insecure: bool = False,
        credentials: Mapping[str, CredentialSource] | None = None,
        retry: RetryPolicy | None = None,
        chunk_size: int | None = DEFAULT_CHUNK,
        workers: int = 4,
        http: httpx.Client | None = None,
    ) -> None:
        self.insecure = insecure
        self.credentials = dict(credentials or {})
        self.retry = retry
        self.chunk_size = chunk_size
        self.workers = max(1, workers)
        self._owns_http = http is None
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(120.0, connect=10.0),
            headers={"User-Agent": "hardbake"},
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
        )
        self._clients: dict[str, RegistryClient] = {}
        self._lock = threading.Lock()

    def client(self, registry: str) -> RegistryClient:
        with self._lock:
            if registry not in self._clients:
                creds = self.credentials.get(registry) or resolve_credentials(registry)
                self._clients[registry] = RegistryClient(
                    api_host(registry),
                    self.http,
                    creds,
                    insecure=self.insecure,
                    retry=self.retry,
                    chunk_size=self.chunk_size,
                )
            return self._clients[registry]

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> RegistryAccess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


# -- writing --------------------------------------------------------------------------------
class _Writer:
    def __init__(
        self, client: RegistryClient, repo: str, progress: TransferProgress, tmp_dir: Path | None
    ) -> None:
        self.client, self.repo, self.progress, self.tmp_dir = client, repo, progress, tmp_dir

    def blob(self, image: Image, desc: Descriptor) -> None:
        digest = str(desc.digest)
        if self.client.blob_exists(self.repo, digest) is not None:
            self.progress.finished(desc, "exists")
            return
        if (
            isinstance(image, RemoteImage)
            and image.client.registry == self.client.registry
            and image.repository != self.repo
            and self.client.mount_blob(self.repo, digest, image.repository)
        ):
            self.progress.finished(desc, "mounted")
            return
        self.progress.started(desc)
        with self._source(image, desc) as (source, local):
            try:
                self.client.upload_blob(
                    self.repo, source, digest, lambda done, _total: self.progress.advanced(desc, done)
                )
            except Error as e:
                if local is not None:
                    _check_local(local, desc, e)
                raise
        self.progress.advanced(desc, desc.size)
        self.progress.finished(desc, "copied")

    @contextlib.contextmanager
    def _source(self, image: Image, desc: Descriptor) -> Iterator[tuple[BlobSource, Path | None]]:
        """Random-access bytes of `desc`: the source's own file, memory, or a verified spool."""
        local = image.local_blob(desc)
        if local is not None and local.stat().st_size == desc.size:
            yield FileSource(local), local
            return
        if desc.size <= _SMALL:
            with image.open_blob(desc) as f:
                yield BytesSource(f.read()), None
            return
        with tempfile.NamedTemporaryFile(prefix="hardbake-push-", dir=self.tmp_dir) as spool:
            with image.open_blob(desc) as f:  # verified at its end, before a byte is sent
                shutil.copyfileobj(f, spool, _SMALL)
            spool.flush()
            yield FileSource(Path(spool.name)), None

    def manifest(self, node: Image | ImageIndex, tag: str | None) -> None:
        digest = str(node.digest())
        if tag is None and self.client.head_manifest(self.repo, digest) is not None:
            return
        self.client.push_manifest(self.repo, node.raw_manifest(), node.media_type(), tag)


def _check_local(path: Path, desc: Descriptor, cause: Exception) -> None:
    """After a refused upload: if the local file is not what its name says, say that instead."""
    actual, size = Digest.from_file(path)
    if (actual, size) != (desc.digest, desc.size):
        raise DigestMismatch(
            f"{path} should hold blob {desc.digest} ({desc.size} bytes) but hashes to {actual} "
            f"({size} bytes); the registry refused it",
            hint="the local copy is corrupt or was tampered with; re-create or re-fetch it",
        ) from cause


def write(
    obj: Image | ImageIndex,
    ref: RegistryRef,
    access: RegistryAccess,
    *,
    progress: TransferProgress | None = None,
    tmp_dir: Path | None = None,
) -> Descriptor:
    """Push `obj` (an image, artifact or index with all it lists) to `ref`; returns its descriptor."""
    top = obj.descriptor()
    if ref.digest is not None and ref.digest != str(top.digest):
        raise InputError(
            f"{ref}: the reference names digest {ref.digest} but the image is {top.digest}",
            hint="push by tag, or name the digest the image really has",
        )
    writer = _Writer(access.client(ref.registry), ref.repository, progress or TransferProgress(), tmp_dir)
    blobs = list(blobs_of(obj).values())
    with ThreadPoolExecutor(max_workers=access.workers, thread_name_prefix="hardbake-push") as pool:
        futures = [pool.submit(writer.blob, image, desc) for image, desc in blobs]
        try:
            for f in futures:
                f.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    for node in walk(obj):
        is_top = node.digest() == top.digest
        writer.manifest(node, ref.tag if is_top else None)
    return top
