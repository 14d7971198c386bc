"""Reading .deb files: the ar container, control.tar and data.tar (gz, xz, zst, bz2 or none).

Only the bytes are read; nothing is ever executed (maintainer scripts are returned as data
for the emulation layer to inspect). Members are streamed, so a large package never needs
to sit in memory as a whole archive.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import zstandard

from hardbake.errors import IntegrityError

_AR_MAGIC = b"!<arch>\n"
_CONTROL_FILES = (
    "control",
    "md5sums",
    "conffiles",
    "postinst",
    "preinst",
    "prerm",
    "postrm",
    "triggers",
    "shlibs",
)


@dataclass(frozen=True)
class ArMember:
    name: str
    offset: int
    size: int


@dataclass(frozen=True)
class ControlInfo:
    """What control.tar holds: the control stanza (raw bytes) and the other metadata files."""

    control: bytes
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def md5sums(self) -> bytes:
        return self.files.get("md5sums", b"")

    @property
    def maintainer_scripts(self) -> dict[str, bytes]:
        return {k: v for k, v in self.files.items() if k in ("preinst", "postinst", "prerm", "postrm")}


def _ar_members(f: IO[bytes], what: str) -> list[ArMember]:
    if f.read(8) != _AR_MAGIC:
        raise IntegrityError(f"{what}: not a Debian package (no ar header)")
    out = []
    while True:
        header = f.read(60)
        if not header:
            break
        if len(header) < 60 or header[58:60] != b"`\n":
            raise IntegrityError(f"{what}: truncated or corrupt ar member header")
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode().strip())
        except ValueError as e:
            raise IntegrityError(f"{what}: bad ar member size in {name!r}") from e
        offset = f.tell()
        out.append(ArMember(name, offset, size))
        f.seek(size + (size & 1), io.SEEK_CUR)
    return out


def _decompressor(name: str, raw: IO[bytes], what: str) -> IO[bytes]:
    if name.endswith(".gz"):
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    if name.endswith(".xz"):
        return cast(IO[bytes], lzma.LZMAFile(raw))
    if name.endswith(".zst"):
        return cast(IO[bytes], zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True))
    if name.endswith(".bz2"):
        return cast(IO[bytes], bz2.BZ2File(raw))
    if name.endswith(".tar"):
        return raw
    raise IntegrityError(f"{what}: unsupported compression of member {name!r}")


class _Window(io.RawIOBase):
    """A read-only view of [offset, offset+size) of a file: one ar member."""

    def __init__(self, f: IO[bytes], offset: int, size: int) -> None:
        self.f, self.start, self.size, self.pos = f, offset, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(b), self.size - self.pos)
        if n <= 0:
            return 0
        self.f.seek(self.start + self.pos)
        data = self.f.read(n)
        b[: len(data)] = data
        self.pos += len(data)
        return len(data)


class Deb:
    """An opened .deb. Use `control()` for metadata and `data()` to stream data.tar members."""

    def __init__(self, path: Path, what: str | None = None) -> None:
        self.path = path
        self.what = what or str(path)
        with path.open("rb") as f:
            self.members = _ar_members(f, self.what)
        names = [m.name for m in self.members]
        if not names or names[0] != "debian-binary":
            raise IntegrityError(f"{self.what}: first ar member must be debian-binary, found {names[:1]}")

    def _member(self, prefix: str) -> ArMember:
        for m in self.members:
            if m.name.startswith(prefix):
                return m
        raise IntegrityError(f"{self.what}: no {prefix}* member")

    @contextmanager
    def _tar(self, prefix: str) -> Iterator[tarfile.TarFile]:
        m = self._member(prefix)
        with self.path.open("rb") as f:
            raw = io.BufferedReader(_Window(f, m.offset, m.size), buffer_size=1 << 16)
            stream = _decompressor(m.name, raw, self.what)
            try:
                with tarfile.open(fileobj=stream, mode="r|") as tf:
                    yield tf
            except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, zstandard.ZstdError) as e:
                raise IntegrityError(f"{self.what}: corrupt {m.name}: {e}") from e

    def control(self) -> ControlInfo:
        files: dict[str, bytes] = {}
        with self._tar("control.tar") as tf:
            for ti in tf:
                name = ti.name.lstrip("./")
                if ti.isfile() and name in _CONTROL_FILES:
                    fo = tf.extractfile(ti)
                    assert fo is not None
                    files[name] = fo.read()
        if "control" not in files:
            raise IntegrityError(f"{self.what}: control.tar has no control file")
        control = files.pop("control")
        return ControlInfo(control, files)

    @contextmanager
    def data(self) -> Iterator[Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]]:
        """Stream (TarInfo, file object for regular files) of data.tar, in archive order."""
        with self._tar("data.tar") as tf:

            def gen() -> Iterator[tuple[tarfile.TarInfo, IO[bytes] | None]]:
                for ti in tf:
                    yield ti, (tf.extractfile(ti) if ti.isreg() else None)

            yield gen()
