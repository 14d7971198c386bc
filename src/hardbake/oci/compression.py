"""Decompressing layer streams: gzip, zstd or plain tar, told apart by their magic bytes.

The media type says what a layer should be; the bytes say what it is. Reading by magic
accepts the common mislabelled cases (a `docker save` layer.tar that is really gzip), and a
media type that disagrees with the bytes is reported by `validate`. Every decoder error
becomes an `ImageError` that names the layer.
"""

from __future__ import annotations

import gzip
import io
import zlib
from typing import Any, BinaryIO, cast

import zstandard

from hardbake.oci.errors import DigestMismatch, ImageError
from hardbake.oci.mediatype import Compression
from hardbake.oci.readstream import ReadStream

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_BUF = 1 << 20


def sniff(head: bytes) -> Compression:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


class _Guarded(ReadStream):
    """Turns decoder exceptions into ImageError naming `what`."""

    def __init__(self, inner: Any, raw: BinaryIO, kind: str, what: str) -> None:
        super().__init__()
        self._inner = inner
        self._raw = raw
        self._kind = kind
        self._what = what

    def read(self, n: int | None = -1) -> bytes:
        try:
            data: bytes = self._inner.read(-1 if n is None else n)
            return data
        except (DigestMismatch, ImageError):
            raise
        except (OSError, EOFError, zlib.error, zstandard.ZstdError) as e:
            raise ImageError(f"{self._what}: corrupt {self._kind} data ({e})") from e

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                self._raw.close()
        super().close()


def open_uncompressed(raw: BinaryIO, what: str) -> tuple[BinaryIO, Compression]:
    """The uncompressed tar stream of a layer blob `raw`, and how it was compressed."""
    buffered: Any = raw if hasattr(raw, "peek") else io.BufferedReader(cast(io.RawIOBase, raw), _BUF)
    try:
        head = buffered.peek(4)[:4]
    except OSError as e:
        raise ImageError(f"{what}: cannot read ({e})") from e
    kind = sniff(head)
    if kind == "gzip":
        inner: Any = gzip.GzipFile(fileobj=buffered, mode="rb")
    elif kind == "zstd":
        inner = zstandard.ZstdDecompressor().stream_reader(buffered, read_size=_BUF, read_across_frames=True)
    else:
        return cast(BinaryIO, buffered), kind
    return cast(BinaryIO, _Guarded(inner, buffered, kind, what)), kind
