"""docker-archive: the `docker save` / `docker load` tarball, written and read.

Layout of what `write` produces (what Docker 20.10's `docker load` reads):

    <config hex>.json              the image config, byte for byte
    <diff_id hex>/layer.tar        each distinct layer (uncompressed, as `docker save` writes;
                                   gzip with compressed=True, which `docker load` also takes)
    manifest.json                  [{"Config", "RepoTags", "Layers"}]
    repositories                   {"repo": {"tag": "<top layer dir>"}} (legacy, for old tools)

All members owned by root, mtime 0, in that order: the archive is reproducible too.
`stream` yields the same archive with gzip layers without touching the disk (what the
daemon sink feeds to the Engine API). Single-platform by nature.

`read` opens any docker-archive (one or several images; layers plain or compressed, by
magic), without extracting it: members are read in place. The manifest of such an image is
synthesised (OCI, layers gzip'd by the deterministic compressor on first need), so an image
that went layout -> archive -> layout keeps its digest.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from hardbake.errors import InputError
from hardbake.oci import canonical
from hardbake.oci import mediatype as mt
from hardbake.oci import tarheader as th
from hardbake.oci.blobs import SMALL_BLOB_LIMIT, BlobStore
from hardbake.oci.compression import GZIP_MAGIC, open_uncompressed, sniff
from hardbake.oci.descriptor import Descriptor
from hardbake.oci.digest import Digest, VerifyingReader
from hardbake.oci.errors import ImageError
from hardbake.oci.image import Image, Layer, memo
from hardbake.oci.layer import BlobLayer, compress_layer
from hardbake.oci.manifest import Manifest
from hardbake.oci.readstream import ReadStream
from hardbake.oci.reference import RegistryRef
from hardbake.oci.tarstream import TarReader

_COPY = 1 << 20


def repo_tags(tags: Sequence[str]) -> list[str]:
    """Tags as Docker writes them in RepoTags: familiar `name:tag`."""
    out = []
    for t in tags:
        ref = RegistryRef.parse(t)
        if ref.tag is None:
            raise InputError(f"{t!r}: a docker-archive or docker-daemon image needs NAME:TAG, not a digest")
        out.append(ref.with_tag(ref.tag).familiar)
    return out


def _plan(image: Image, tags: Sequence[str]) -> tuple[str, list[tuple[str, Layer]], bytes, bytes]:
    if image.is_artifact():
        raise ImageError(f"{image} is an artifact; a docker-archive holds images only")
    config = image.raw_config()
    config_name = f"{Digest.from_bytes(config).hex}.json"
    names = [f"{layer.diff_id().hex}/layer.tar" for layer in image.layers()]
    seen: set[str] = set()
    members = []
    for name, layer in zip(names, image.layers(), strict=True):
        if name not in seen:  # an image may repeat a layer; the archive holds it once
            seen.add(name)
            members.append((name, layer))
    tags = repo_tags(tags)
    manifest = canonical.dumps([{"Config": config_name, "RepoTags": tags, "Layers": names}])
    repos: dict[str, dict[str, str]] = {}
    for t in tags:
        repo, _, tag = t.rpartition(":")
        repos.setdefault(repo, {})[tag] = names[-1].split("/")[0] if names else ""
    return config_name, members, manifest, canonical.dumps(repos) if tags else b""


def _member(name: str, data: bytes) -> bytes:
    return th.encode(name, th.REGTYPE, mode=0o644, size=len(data)) + data + th.padding(len(data))


def write(path: Path, image: Image, *, tags: Sequence[str] = (), compressed: bool = False) -> None:
    """Write `image` as a docker-archive at `path`, atomically."""
    config_name, layers, manifest, repos = _plan(image, tags)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(fd, "wb") as out:
            out.write(_member(config_name, image.raw_config()))
            for name, layer in layers:
                out.write(th.encode(name.split("/")[0] + "/", th.DIRTYPE, mode=0o755))
                use_blob = compressed and mt.layer_compression(layer.media_type()) == "gzip"
                start = out.tell()
                out.write(th.fixed(name, 0))
                with layer.compressed() if use_blob else layer.uncompressed() as src:
                    shutil.copyfileobj(src, out, _COPY)
                size = out.tell() - start - th.BLOCK
                out.write(th.padding(size))
                end = out.tell()
                out.seek(start)
                out.write(th.fixed(name, size))
                out.seek(end)
            out.write(_member("manifest.json", manifest))
            if repos:
                out.write(_member("repositories", repos))
            out.write(th.END_OF_ARCHIVE)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stream(image: Image, *, tags: Sequence[str] = (), tmp_dir: Path | None = None) -> Iterator[bytes]:
    """The docker-archive of `image` as a byte stream, layers gzip'd (recompressed into
    `tmp_dir` only if a layer is not gzip already, e.g. zstd, which Docker 20.10 cannot load)."""
    config_name, layers, manifest, repos = _plan(image, tags)
    with tempfile.TemporaryDirectory(prefix="hardbake-archive-", dir=tmp_dir) as tmp:
        yield _member(config_name, image.raw_config())
        for name, layer in layers:
            if mt.layer_compression(layer.media_type()) != "gzip":
                with layer.uncompressed() as tar:
                    layer = compress_layer(tar, BlobStore(Path(tmp), fsync=False))
            yield th.encode(name.split("/")[0] + "/", th.DIRTYPE, mode=0o755)
            yield th.fixed(name, layer.size())
            with layer.compressed() as src:
                while chunk := src.read(_COPY):
                    yield chunk
            yield th.padding(layer.size())
        yield _member("manifest.json", manifest)
        if repos:
            yield _member("repositories", repos)
        yield th.END_OF_ARCHIVE


# -- reading -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Member:
    offset: int
    size: int


class _Slice(ReadStream):
    """A member's bytes, read in place from the archive file."""

    def __init__(self, path: Path, member: _Member) -> None:
        super().__init__()
        self._f = open(path, "rb")  # noqa: SIM115
        self._f.seek(member.offset)
        self._left = member.size

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0 or n > self._left:
            n = self._left
        data = self._f.read(n) if n else b""
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._f.close()
        super().close()


def _index(path: Path) -> dict[str, _Member]:
    members: dict[str, _Member] = {}
    links: dict[str, str] = {}
    with open(path, "rb") as f:
        reader = TarReader(f, f"docker-archive:{path}")
        for h in reader:
            name = h.name.removeprefix("./").rstrip("/")
            if h.typeflag in (b"1", b"2"):
                target = h.linkname
                if h.typeflag == b"2" and not target.startswith("/"):
                    target = f"{name.rpartition('/')[0]}/{target}".lstrip("/")
                links[name] = target.removeprefix("./")
            elif h.is_regular:
                members[name] = _Member(h.offset, h.size)
    for name, target in links.items():
        for _ in range(8):  # docker save may link duplicate layers to each other
            if target in members:
                members[name] = members[target]
                break
            target = links.get(target, "")
    return members


class _ArchiveLayer(Layer):
    def __init__(self, image: _ArchiveImage, name: str, member: _Member, diff_id: Digest) -> None:
        self._image, self._name, self._member, self._diff_id = image, name, member, diff_id
        with self._open() as f:
            self._kind = sniff(f.read(4))
        self._lock = threading.Lock()

    def _open(self) -> BinaryIO:
        return _Slice(self._image.path, self._member)  # type: ignore[return-value]

    def _blob(self) -> BlobLayer:
        with self._lock:
            return memo(self, "blob", self._compress)

    def _compress(self) -> BlobLayer:
        with self.uncompressed() as tar:
            return compress_layer(tar, self._image.scratch())

    def diff_id(self) -> Digest:
        return self._diff_id

    def digest(self) -> Digest:
        if self._kind == "none":
            return self._blob().digest()
        with self._lock:
            return memo(self, "digest", lambda: Digest.from_stream(self._open())[0])

    def size(self) -> int:
        return self._blob().size() if self._kind == "none" else self._member.size

    def media_type(self) -> str:
        return {"gzip": mt.OCI_LAYER_GZIP, "zstd": mt.OCI_LAYER_ZSTD}.get(self._kind, mt.OCI_LAYER_GZIP)

    def compressed(self) -> BinaryIO:
        if self._kind == "none":
            return self._blob().compressed()
        return VerifyingReader(self._open(), self.digest(), self._member.size, f"{self._image} {self._name}")  # type: ignore[return-value]

    def uncompressed(self) -> BinaryIO:
        what = f"{self._image} {self._name}"
        tar = self._open()
        if self._kind != "none":
            tar, _ = open_uncompressed(tar, what)
        return VerifyingReader(tar, self._diff_id, None, f"{what} (diff_id)")  # type: ignore[return-value]


class _ArchiveImage(Image):
    def __init__(
        self, path: Path, name: str | None, owned_tmp: tempfile.TemporaryDirectory[str] | None, label: str
    ) -> None:
        self.path = path
        self._tmp = owned_tmp
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._label = label
        members = _index(path)
        if "manifest.json" not in members:
            raise ImageError(f"{self._label}: no manifest.json; is this a `docker save` archive?")
        entries = canonical.loads(
            self._small(members["manifest.json"], "manifest.json"), f"{label} manifest.json"
        )
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ImageError(f"{self._label}: manifest.json must be a list of objects")
        entry = _choose(entries, name, self._label)
        config_name, layer_names = entry.get("Config"), entry.get("Layers") or []
        if isinstance(config_name, str):
            config_name = config_name.removeprefix("./")
        if not isinstance(config_name, str) or config_name not in members:
            raise ImageError(f"{self._label}: config {config_name!r} is not in the archive")
        self._raw_config = self._small(members[config_name], config_name)
        self._config_digest = Digest.from_bytes(self._raw_config)
        self.repo_tags = tuple(entry.get("RepoTags") or ())
        diff_ids = self.config().diff_ids
        if len(diff_ids) != len(layer_names):
            raise ImageError(
                f"{self._label}: manifest.json lists {len(layer_names)} layers, "
                f"its config {len(diff_ids)} diff_ids"
            )
        layers = []
        for lname, diff_id in zip(layer_names, diff_ids, strict=True):
            if isinstance(lname, str):
                lname = lname.removeprefix("./")
            if not isinstance(lname, str) or lname not in members:
                raise ImageError(f"{self._label}: layer {lname!r} is not in the archive")
            layers.append(_ArchiveLayer(self, lname, members[lname], diff_id))
        self._layers = tuple(layers)

    def _small(self, member: _Member, name: str) -> bytes:
        if member.size > SMALL_BLOB_LIMIT:
            raise ImageError(f"{self._label}: {name} is {member.size} bytes, too large for JSON metadata")
        with _Slice(self.path, member) as f:
            return f.read()

    def scratch(self) -> BlobStore:
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="hardbake-layers-")
        return BlobStore(Path(self._scratch.name), fsync=False)

    def raw_config(self) -> bytes:
        return self._raw_config

    def config_digest(self) -> Digest:
        return self._config_digest

    def is_artifact(self) -> bool:
        return False  # a docker-archive holds images only (and this avoids compressing)

    def raw_manifest(self) -> bytes:
        return memo(
            self,
            "raw",
            lambda: Manifest(
                config=Descriptor(mt.OCI_CONFIG, self._config_digest, len(self._raw_config)),
                layers=tuple(x.descriptor() for x in self._layers),
            ).to_bytes(),
        )

    def layers(self) -> tuple[Layer, ...]:
        return self._layers

    def _open_raw(self, desc: Descriptor) -> BinaryIO:
        if desc.digest == self._config_digest:
            return io.BytesIO(self._raw_config)
        for layer in self._layers:
            if layer.digest() == desc.digest:
                return layer.compressed()
        raise ImageError(f"{self}: no blob {desc.digest}")

    def close(self) -> None:
        for t in (self._scratch, self._tmp):
            if t is not None:
                t.cleanup()
        self._scratch = self._tmp = None

    def __str__(self) -> str:
        return self._label


def _choose(entries: list[dict[str, Any]], name: str | None, label: str) -> dict[str, Any]:
    if name is None:
        if len(entries) != 1:
            tags = [t for e in entries for t in e.get("RepoTags") or ()]
            raise ImageError(
                f"{label} holds {len(entries)} images; name one: docker-archive:FILE:NAME:TAG",
                hint=f"tags: {', '.join(tags) or 'none'}",
            )
        return entries[0]
    want = RegistryRef.parse(name).canonical
    for e in entries:
        for t in e.get("RepoTags") or ():
            if isinstance(t, str) and RegistryRef.parse(t).canonical == want:
                return e
    tags = [t for e in entries for t in e.get("RepoTags") or ()]
    raise ImageError(f"{label}: no image tagged {name!r}", hint=f"tags: {', '.join(tags) or 'none'}")


def read(
    path: Path,
    name: str | None = None,
    *,
    tmp_dir: Path | None = None,
    owns: tempfile.TemporaryDirectory[str] | None = None,
    label: str | None = None,
) -> Image:
    """The image in the docker-archive at `path` (the one tagged `name` if several).

    A gzip'd archive (`docker save | gzip`) is decompressed to a temporary file first.
    `owns` is a temporary directory the image takes over (deleted on close). Close the
    image (or use it as a context manager) to release temporary files.
    """
    path = Path(path)
    label = label or f"docker-archive:{path}" + (f":{name}" if name else "")
    _owned = owns
    try:
        with open(path, "rb") as f:
            head = f.read(2)
    except OSError as e:
        if _owned is not None:
            _owned.cleanup()
        raise ImageError(f"{label}: cannot open ({e.strerror})") from e
    if head == GZIP_MAGIC:
        if _owned is None:
            _owned = tempfile.TemporaryDirectory(prefix="hardbake-archive-", dir=tmp_dir)
        plain = Path(_owned.name) / "decompressed.tar"
        try:
            with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst, _COPY)
        except (OSError, EOFError) as e:
            _owned.cleanup()
            raise ImageError(f"{label}: corrupt gzip ({e})") from e
        path = plain
    try:
        return _ArchiveImage(path, name, _owned, label)
    except BaseException:
        if _owned is not None:
            _owned.cleanup()
        raise


__all__ = ["read", "repo_tags", "stream", "write"]
