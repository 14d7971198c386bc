"""A client of the OCI distribution spec (v1.1) on raw bytes.

Blobs and manifests are bytes named by `sha256:<hex>` digests; this layer knows media
types and the referrers API but no image model (callers build manifests and configs).
Every byte pulled is checked against the digest that named it before it is returned.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from hardbake.errors import InputError, NetworkError
from hardbake.oci.registry import digests, mediatypes
from hardbake.oci.registry.auth import CredentialSource, resolve_credentials
from hardbake.oci.registry.blobstream import BlobStream
from hardbake.oci.registry.errors import RegistryNotFound, raise_for
from hardbake.oci.registry.referrers import Referrers
from hardbake.oci.registry.transport import RetryPolicy, Transport
from hardbake.oci.registry.upload import BlobSource, BytesSource, FileSource, Progress, UploadStats, upload

_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Descriptor:
    """What a HEAD (or a push) tells about content: digest, media type, size."""

    digest: str
    media_type: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Manifest:
    """A manifest or index as stored: its exact bytes, media type and digest."""

    data: bytes
    media_type: str
    digest: str

    def json(self) -> dict[str, Any]:
        doc = json.loads(self.data)
        if not isinstance(doc, dict):
            raise InputError(f"manifest {self.digest} is not a JSON object")
        return doc

    @property
    def descriptor(self) -> Descriptor:
        return Descriptor(self.digest, self.media_type, len(self.data))


def _media_type_of(data: bytes, header: str | None) -> str:
    """The manifest's own `mediaType` field, else the Content-Type header."""
    try:
        doc = json.loads(data)
        if isinstance(doc, dict) and isinstance(doc.get("mediaType"), str):
            return str(doc["mediaType"])
    except ValueError:
        pass
    return (header or mediatypes.OCI_MANIFEST).split(";")[0].strip()


class RegistryClient:
    """One registry host. `repo` arguments are repository paths (`team/app`), not references."""

    def __init__(
        self,
        registry: str,
        http: httpx.Client,
        credentials: CredentialSource | None = None,
        *,
        insecure: bool = False,
        retry: RetryPolicy | None = None,
        chunk_size: int | None = None,
    ) -> None:
        if credentials is None:
            credentials = resolve_credentials(registry)
        self.transport = Transport(registry, http, credentials, insecure=insecure, retry=retry)
        self.registry = registry
        self.chunk_size = chunk_size
        self.referrers_api = Referrers(self)
        self.last_upload = UploadStats()

    @staticmethod
    def pull_scope(repo: str) -> tuple[str, ...]:
        return (f"repository:{repo}:pull",)

    @staticmethod
    def push_scope(repo: str, *more_pull: str) -> tuple[str, ...]:
        return (f"repository:{repo}:pull,push", *(f"repository:{r}:pull" for r in more_pull))

    # -- API version ------------------------------------------------------------------------
    def ping(self) -> None:
        """Check that this is a distribution v2 registry we can talk to (auth answered)."""
        resp = self.transport.request("GET", "/v2/")
        raise_for(resp, f"registry {self.registry} /v2/", (200,))
        version = resp.headers.get("Docker-Distribution-API-Version")
        if version is not None and not version.startswith("registry/2."):
            raise InputError(f"registry {self.registry} speaks {version!r}, expected registry/2.x")

    # -- blobs ----------------------------------------------------------------------------------
    def blob_exists(self, repo: str, digest: str) -> int | None:
        """The size of blob `digest` in `repo`, or None if it is not there."""
        resp = self.transport.request(
            "HEAD", f"/v2/{repo}/blobs/{digests.validate(digest)}", scopes=self.pull_scope(repo)
        )
        if resp.status_code == 404:
            return None
        raise_for(resp, f"HEAD blob {digest} in {repo}", (200,))
        return int(resp.headers.get("Content-Length", "-1"))

    def _stream_blob(self, repo: str, digest: str) -> Iterator[bytes]:
        with self.transport.stream("GET", f"/v2/{repo}/blobs/{digest}", scopes=self.pull_scope(repo)) as resp:
            if resp.status_code != 200:
                resp.read()
            raise_for(resp, f"GET blob {digest} from {self.registry}/{repo}", (200,))
            yield from resp.iter_bytes(_READ_CHUNK)

    def _download(
        self, repo: str, digest: str, write: Callable[[bytes], object], rewind: Callable[[], None]
    ) -> int:
        """Stream blob `digest` through `write`, verifying it; returns the size.

        A connection lost mid-stream restarts the download (after `rewind()`), within the
        transport's retry budget; a digest mismatch is never retried.
        """
        digests.validate(digest)
        delays = self.transport.retry.delays()
        while True:
            checker = digests.DigestChecker(digest)
            try:
                for chunk in self._stream_blob(repo, digest):
                    checker.update(chunk)
                    write(chunk)
                break
            except (httpx.TransportError, NetworkError) as e:
                delay = next(delays, None)
                if delay is None:
                    raise NetworkError(f"GET blob {digest} from {self.registry}/{repo}: {e}") from e
                rewind()
                self.transport.sleep(delay)
        checker.check(f"blob {digest} from {self.registry}/{repo}")
        return checker.size

    def fetch_blob_to(self, repo: str, digest: str, sink: IO[bytes]) -> int:
        """Stream blob `digest` into `sink` (seekable), verifying the digest; returns the size."""
        start = sink.tell()

        def rewind() -> None:
            sink.seek(start)
            sink.truncate()

        return self._download(repo, digest, sink.write, rewind)

    def fetch_blob(self, repo: str, digest: str) -> bytes:
        buf = io.BytesIO()
        self.fetch_blob_to(repo, digest, buf)
        return buf.getvalue()

    def open_blob(
        self, repo: str, digest: str, size: int | None = None, *, verify: bool = True
    ) -> BlobStream:
        """Blob `digest` as a lazy stream (resumed after a lost connection, verified at its end
        unless `verify=False` says the caller hashes the bytes itself)."""
        return BlobStream(self, repo, digest, size, verify=verify)

    def check_blob(self, repo: str, digest: str) -> int:
        """Read blob `digest` through without keeping it; raises VerificationError on a mismatch."""
        return self._download(repo, digest, lambda _chunk: None, lambda: None)

    def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool:
        """Cross-repository mount; True if mounted, False if the registry declined."""
        resp = self.transport.request(
            "POST",
            f"/v2/{repo}/blobs/uploads/",
            scopes=self.push_scope(repo, from_repo),
            params=[("mount", digests.validate(digest)), ("from", from_repo)],
        )
        if resp.status_code == 201:
            return True
        raise_for(resp, f"mount {digest} from {from_repo} into {repo}", (202,))
        # 202: the registry opened an ordinary upload session instead; close it unused.
        loc = resp.headers.get("Location")
        if loc:
            self.transport.request("DELETE", str(resp.url.join(loc)), scopes=self.push_scope(repo))
        return False

    def push_blob(
        self,
        repo: str,
        content: bytes | Path,
        digest: str | None = None,
        *,
        mount_from: str | None = None,
        progress: Progress | None = None,
    ) -> Descriptor:
        """Upload a blob unless `repo` already has it; returns its descriptor (octet-stream).

        `content` is bytes or a file path (read chunk by chunk, never whole for chunked
        uploads). With `mount_from`, a cross-repository mount is tried first.
        """
        source: BlobSource = BytesSource(content) if isinstance(content, bytes) else FileSource(content)
        if digest is None:
            if isinstance(content, bytes):
                digest = digests.sha256(content)
            else:
                raise InputError("push_blob of a file needs its digest")
        digests.validate(digest)
        size = source.size
        self.last_upload = UploadStats()
        if self.blob_exists(repo, digest) is not None:
            return Descriptor(digest, "application/octet-stream", size)
        if mount_from and mount_from != repo and self.mount_blob(repo, digest, mount_from):
            return Descriptor(digest, "application/octet-stream", size)
        return self.upload_blob(repo, source, digest, progress)

    def upload_blob(
        self, repo: str, source: BlobSource, digest: str, progress: Progress | None = None
    ) -> Descriptor:
        """Upload without asking first whether `repo` has the blob (the caller knows it has not)."""
        self.last_upload = upload(
            self.transport,
            repo,
            self.push_scope(repo),
            source,
            digests.validate(digest),
            self.chunk_size,
            progress,
        )
        return Descriptor(digest, "application/octet-stream", source.size)

    # -- manifests --------------------------------------------------------------------------
    def head_manifest(self, repo: str, reference: str) -> Descriptor | None:
        """Digest, media type and size of a tag or digest, or None if absent."""
        resp = self.transport.request(
            "HEAD",
            f"/v2/{repo}/manifests/{reference}",
            scopes=self.pull_scope(repo),
            headers={"Accept": ", ".join(mediatypes.ACCEPT_MANIFESTS)},
        )
        if resp.status_code == 404:
            return None
        raise_for(resp, f"HEAD manifest {repo}:{reference}", (200,))
        digest = resp.headers.get("Docker-Content-Digest")
        if not digest:  # some registries omit it on HEAD: fall back to GET
            return self.fetch_manifest(repo, reference).descriptor
        media = (resp.headers.get("Content-Type") or mediatypes.OCI_MANIFEST).split(";")[0]
        return Descriptor(digests.validate(digest), media, int(resp.headers.get("Content-Length", "0")))

    def fetch_manifest(self, repo: str, reference: str) -> Manifest:
        """GET a manifest or index by tag or digest; the bytes are checked against the digest.

        By digest: the bytes must hash to it. By tag: they must hash to the registry's
        `Docker-Content-Digest` when it sends one.
        """
        resp = self.transport.request(
            "GET",
            f"/v2/{repo}/manifests/{reference}",
            scopes=self.pull_scope(repo),
            headers={"Accept": ", ".join(mediatypes.ACCEPT_MANIFESTS)},
        )
        raise_for(resp, f"manifest {self.registry}/{repo}:{reference}", (200,))
        data = resp.content
        actual = digests.sha256(data)
        if reference.startswith("sha256:"):
            digests.verify(data, reference, f"manifest {repo}@{reference}")
        else:
            claimed = resp.headers.get("Docker-Content-Digest")
            if claimed and claimed.startswith("sha256:"):
                digests.verify(data, claimed, f"manifest {repo}:{reference}")
        return Manifest(data, _media_type_of(data, resp.headers.get("Content-Type")), actual)

    def find_manifest(self, repo: str, reference: str) -> Manifest | None:
        try:
            return self.fetch_manifest(repo, reference)
        except RegistryNotFound:
            return None

    def push_manifest(self, repo: str, data: bytes, media_type: str, tag: str | None = None) -> Descriptor:
        """PUT a manifest under `tag` (or by digest); maintains the referrers fallback index.

        A manifest with a `subject` goes into the subject's `sha256-<hex>` fallback index
        when the registry does not answer with `OCI-Subject` (no referrers API).
        """
        digest = digests.sha256(data)
        ref = tag or digest
        resp = self.transport.request(
            "PUT",
            f"/v2/{repo}/manifests/{ref}",
            scopes=self.push_scope(repo),
            headers={"Content-Type": media_type},
            content=data,
        )
        raise_for(resp, f"PUT manifest {self.registry}/{repo}:{ref}", (201, 200))
        got = resp.headers.get("Docker-Content-Digest")
        if got and got != digest:
            raise NetworkError(f"registry stored manifest {digest} as {got}: it rewrote the bytes")
        desc = Descriptor(digest, media_type, len(data))
        try:
            doc = json.loads(data)
        except ValueError as e:
            raise InputError(f"manifest to push is not JSON: {e}") from e
        subject = doc.get("subject") if isinstance(doc, dict) else None
        if isinstance(subject, dict) and "OCI-Subject" not in resp.headers:
            self.referrers_api.add_to_fallback(repo, str(subject["digest"]), desc, doc)
        return desc

    def delete_manifest(self, repo: str, digest: str) -> None:
        resp = self.transport.request(
            "DELETE", f"/v2/{repo}/manifests/{digests.validate(digest)}", scopes=self.push_scope(repo)
        )
        raise_for(resp, f"DELETE manifest {repo}@{digest}", (202, 200))

    # -- tags and referrers -----------------------------------------------------------------
    def list_tags(self, repo: str) -> list[str]:
        """Every tag of `repo`, following `Link` pagination."""
        tags: list[str] = []
        path: str | None = f"/v2/{repo}/tags/list"
        while path:
            resp = self.transport.request("GET", path, scopes=self.pull_scope(repo))
            raise_for(resp, f"tags of {self.registry}/{repo}", (200,))
            tags += resp.json().get("tags") or []
            link = resp.headers.get("Link")
            path = link.split(";")[0].strip().strip("<>") if link else None
        return tags

    def referrers(self, repo: str, digest: str, artifact_type: str | None = None) -> list[dict[str, Any]]:
        """Descriptors of the manifests whose `subject` is `digest` (API, else tag fallback)."""
        return self.referrers_api.list(repo, digest, artifact_type)
