"""Pushing an image, artifact or whole index to a registry repository.

Every blob first, several at a time: skipped when the repository has it (`HEAD`), mounted
when the source is another repository of the same registry, else uploaded (monolithic up to
the chunk size, chunked and resumable above it), read from the source's own file when it
has one (layouts, blob stores) or spooled through a verifying stream. Then the child
manifests by digest, then the top manifest under the tag. A manifest with a `subject` lands
in the subject's referrers (the client keeps the `sha256-<hex>` fallback index on
registries without the referrers API).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hardbake.errors import Error, InputError
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import DigestMismatch
from hardbake.oci.image import Image, ImageIndex, blobs_of, walk
from hardbake.oci.parallel import run_all
from hardbake.oci.progress import TransferProgress
from hardbake.oci.reference import RegistryRef
from hardbake.oci.registry import RegistryClient
from hardbake.oci.registry.upload import BlobSource, BytesSource, FileSource
from hardbake.oci.remote.access import RegistryAccess
from hardbake.oci.remote.image import RemoteImage

_SMALL = 1024 * 1024  # blobs up to this size are read into memory rather than spooled


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
    run_all(
        lambda pair: writer.blob(*pair),
        list(blobs_of(obj).values()),
        workers=access.workers,
        name="hardbake-push",
    )
    for node in walk(obj):
        is_top = node.digest() == top.digest
        writer.manifest(node, ref.tag if is_top else None)
    return top
