"""OCI image layouts (image-spec image-layout.md): `oci-layout`, `index.json`, `blobs/sha256/`.

`write(path, image_or_index, tags=...)` adds to a layout, creating it if needed: a new
layout is staged in a sibling directory and renamed into place; an existing one gets its
missing blobs first (each written atomically, existing blobs never rewritten) and its
`index.json` last, replaced atomically under a lock, so a reader never sees an index that
names a blob not yet there. Tags are `org.opencontainers.image.ref.name` annotations; an
artifact with a `subject` goes in untagged, and `Layout.referrers()` finds it again.

`read(path, tag)` opens the image or index a tag names (or the only image when no tag is
given); every blob read is checked against its digest and size.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from hardbake import atomic
from hardbake.oci import canonical
from hardbake.oci import mediatype as mt
from hardbake.oci.blobs import BlobStore
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest
from hardbake.oci.errors import ImageError
from hardbake.oci.image import Image, ImageIndex, blobs_of, memo, walk
from hardbake.oci.manifest import Index, Manifest
from hardbake.oci.parallel import run_all
from hardbake.oci.progress import Observed, TransferProgress

_REF_NAME = re.compile(r"[A-Za-z0-9]+(?:[-._:@/+]+[A-Za-z0-9]+)*")
_LAYOUT_FILE = canonical.dumps({"imageLayoutVersion": mt.OCI_LAYOUT_VERSION})


class Layout:
    """An existing OCI image layout directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        marker = self.root / "oci-layout"
        try:
            info = canonical.loads_object(marker.read_bytes(), str(marker))
        except FileNotFoundError:
            raise ImageError(
                f"{self.root} is not an OCI image layout (no oci-layout file)",
                hint="write one with -o oci:DIR[:TAG], or check the path",
            ) from None
        if info.get("imageLayoutVersion") != mt.OCI_LAYOUT_VERSION:
            raise ImageError(
                f"{marker}: imageLayoutVersion {info.get('imageLayoutVersion')!r} is not "
                f"{mt.OCI_LAYOUT_VERSION!r}"
            )
        self.blobs = BlobStore(self.root / "blobs", tmp_dir=self.root)

    # -- reading ---------------------------------------------------------------------------
    def index(self) -> Index:
        path = self.root / "index.json"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ImageError(f"{self.root}: index.json is missing") from None
        return Index.from_bytes(data, str(path), mt.OCI_INDEX)

    def tags(self) -> dict[str, Descriptor]:
        return {d.ref_name: d for d in self.index().manifests if d.ref_name}

    def open(self, desc: Descriptor, name: str | None = None) -> Image | ImageIndex:
        """The image or index a descriptor names."""
        if mt.is_index(desc.media_type):
            return _LayoutIndex(self, desc, name)
        if mt.is_manifest(desc.media_type):
            return _LayoutImage(self, desc, name)
        raise ImageError(f"oci:{self.root}: entry {desc.digest} has media type {desc.media_type!r}")

    def get(self, tag: str | None = None) -> Image | ImageIndex:
        """The image (or index) tagged `tag`, or the only image when `tag` is None."""
        entries = self.index().manifests
        if tag is not None:
            found = [d for d in entries if d.ref_name == tag]
            if len(found) != 1:
                have = ", ".join(sorted(t for t in self.tags())) or "none"
                state = "no entry" if not found else f"{len(found)} entries"
                raise ImageError(f"oci:{self.root} has {state} tagged {tag!r}; tags: {have}")
            return self.open(found[0], tag)
        images = [d for d in entries if not d.artifact_type and not self._is_artifact(d)]
        distinct = {d.digest for d in images}
        if len(distinct) != 1:
            have = ", ".join(sorted(self.tags())) or "none"
            raise ImageError(
                f"oci:{self.root} holds {len(distinct)} images; name one with oci:{self.root}:TAG",
                hint=f"tags: {have}",
            )
        return self.open(images[0], images[0].ref_name)

    def _is_artifact(self, desc: Descriptor) -> bool:
        if not mt.is_manifest(desc.media_type):
            return False
        return self._manifest(desc).is_artifact

    def _manifest(self, desc: Descriptor) -> Manifest:
        raw = self.blobs.read_bytes(desc.digest, desc.size, f"manifest {desc.digest} in {self.root}")
        return Manifest.from_bytes(raw, f"manifest {desc.digest} in {self.root}", desc.media_type)

    def referrers(self, subject: Digest, artifact_type: str | None = None) -> list[Descriptor]:
        """Entries of index.json whose manifest has `subject` as its subject."""
        out = []
        for d in self.index().manifests:
            if not mt.is_manifest(d.media_type):
                continue
            m = self._manifest(d)
            if m.subject is not None and m.subject.digest == subject:
                at = m.artifact_type or m.config.media_type
                if artifact_type is None or at == artifact_type:
                    out.append(Descriptor(d.media_type, d.digest, d.size, m.annotations, None, at))
        return out

    def verify(self) -> int:
        """Check every blob reachable from index.json (digest and size); returns how many."""
        seen: set[Digest] = set()

        def blob(desc: Descriptor) -> None:
            if desc.digest not in seen:
                seen.add(desc.digest)
                with self.blobs.open(desc.digest, desc.size, f"blob {desc.digest} in {self.root}") as f:
                    while f.read(1 << 20):
                        pass

        def walk(desc: Descriptor) -> None:
            blob(desc)
            if mt.is_index(desc.media_type):
                raw = self.blobs.read_bytes(desc.digest, desc.size, str(desc.digest))
                for child in Index.from_bytes(raw, f"index {desc.digest}", desc.media_type).manifests:
                    walk(child)
            elif mt.is_manifest(desc.media_type):
                m = self._manifest(desc)
                for d in (m.config, *m.layers):
                    blob(d)

        for d in self.index().manifests:
            walk(d)
        return len(seen)

    # -- writing ---------------------------------------------------------------------------
    def _ingest(self, image: Image, desc: Descriptor, progress: TransferProgress) -> None:
        if self.blobs.has(desc.digest, desc.size):
            progress.finished(desc, "exists")
            return
        progress.started(desc)
        with image.open_blob(desc) as src:
            self.blobs.ingest(Observed(src, desc, progress), desc.digest, desc.size)  # type: ignore[arg-type]
        progress.finished(desc, "copied")

    def _put(self, obj: Image | ImageIndex, progress: TransferProgress, workers: int) -> Descriptor:
        """Every blob (`workers` at a time), then every manifest, children before their index."""
        run_all(
            lambda pair: self._ingest(*pair, progress),
            list(blobs_of(obj).values()),
            workers=workers,
            name="hardbake-layout",
        )
        for node in walk(obj):
            self.blobs.write_bytes(node.raw_manifest())
        return obj.descriptor()

    def add(
        self,
        obj: Image | ImageIndex,
        tags: Sequence[str] = (),
        *,
        progress: TransferProgress | None = None,
        workers: int = 1,
    ) -> Descriptor:
        """Write `obj`'s blobs, then list it in index.json under each tag (or untagged)."""
        for tag in tags:
            _check_tag(tag)
        desc = self._put(obj, progress or TransferProgress(), workers)
        self.record(desc, tags)
        return desc

    def record(self, desc: Descriptor, tags: Sequence[str] = ()) -> None:
        """List a manifest whose blobs are all stored in index.json: under each tag (moving
        the tag if it named something else), or once untagged when `tags` is empty."""
        for tag in tags:
            _check_tag(tag)
        with self._locked():
            current = self.index()
            entries = list(current.manifests)
            if not tags and not any(d.digest == desc.digest and not d.ref_name for d in entries):
                entries.append(desc)
            for tag in tags:
                tagged = desc.with_annotations({mt.REF_NAME: tag})
                slots = [i for i, d in enumerate(entries) if d.ref_name == tag]
                if slots:
                    entries[slots[0]] = tagged
                    entries = [d for i, d in enumerate(entries) if i not in slots[1:]]
                else:
                    entries.append(tagged)
            new = Index(manifests=tuple(entries), annotations=current.annotations)
            atomic.write_bytes(self.root / "index.json", new.to_bytes())

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _check_tag(tag: str) -> None:
    # image-layout.md: ref.name components are alphanumerics joined by - . _ : @ / +
    if not _REF_NAME.fullmatch(tag):
        raise ImageError(f"invalid tag {tag!r} for an OCI layout: expected letters, digits and - . _ : @ / +")


def _init(root: Path) -> None:
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(root / "oci-layout", _LAYOUT_FILE)
    if not (root / "index.json").exists():
        atomic.write_bytes(root / "index.json", Index().to_bytes())


def write(
    path: Path,
    obj: Image | ImageIndex,
    *,
    tags: Sequence[str] = (),
    progress: TransferProgress | None = None,
    workers: int = 1,
) -> Descriptor:
    """Add an image, index or artifact to the layout at `path` (created if missing).

    `workers` blobs are copied at a time (each verified against its digest as it streams
    in); `progress` hears about each one."""
    path = Path(path)
    if not path.exists():
        with atomic.staged_dir(path) as tmp:
            _init(tmp)
            desc = Layout(tmp).add(obj, tags, progress=progress, workers=workers)
        return desc
    if path.is_dir() and not any(path.iterdir()):
        _init(path)
    return Layout(path).add(obj, tags, progress=progress, workers=workers)


def read(path: Path, tag: str | None = None) -> Image | ImageIndex:
    """The image or index tagged `tag` in the layout at `path` (the only one if no tag)."""
    return Layout(path).get(tag)


class _LayoutImage(Image):
    def __init__(self, layout: Layout, desc: Descriptor, name: str | None) -> None:
        self._layout, self._desc, self._name = layout, desc, name

    def raw_manifest(self) -> bytes:
        return memo(
            self,
            "raw",
            lambda: self._layout.blobs.read_bytes(self._desc.digest, self._desc.size, f"manifest of {self}"),
        )

    def manifest(self) -> Manifest:
        return memo(
            self,
            "manifest",
            lambda: Manifest.from_bytes(self.raw_manifest(), f"manifest of {self}", self._desc.media_type),
        )

    def _open_raw(self, desc: Descriptor) -> BinaryIO:
        return self._layout.blobs.open_raw(desc.digest, desc.size, f"blob {desc.digest} of {self}")

    def local_blob(self, desc: Descriptor) -> Path | None:
        return (
            self._layout.blobs.path(desc.digest) if self._layout.blobs.has(desc.digest, desc.size) else None
        )

    def __str__(self) -> str:
        return f"oci:{self._layout.root}" + (f":{self._name}" if self._name else f"@{self._desc.digest}")


class _LayoutIndex(ImageIndex):
    def __init__(self, layout: Layout, desc: Descriptor, name: str | None) -> None:
        self._layout, self._desc, self._name = layout, desc, name

    def raw_manifest(self) -> bytes:
        return memo(
            self,
            "raw",
            lambda: self._layout.blobs.read_bytes(self._desc.digest, self._desc.size, f"index of {self}"),
        )

    def index_manifest(self) -> Index:
        return memo(
            self,
            "index",
            lambda: Index.from_bytes(self.raw_manifest(), f"index of {self}", self._desc.media_type),
        )

    def child(self, desc: Descriptor) -> Image | ImageIndex:
        if desc not in self.index_manifest().manifests:
            raise ImageError(f"{self} does not list {desc.digest}")
        return self._layout.open(desc)

    def __str__(self) -> str:
        return f"oci:{self._layout.root}" + (f":{self._name}" if self._name else f"@{self._desc.digest}")
