"""Deterministic gzip, compressed on several cores (the pigz scheme, in zlib via threads).

The uncompressed stream is cut at fixed 1 MiB offsets; each piece is deflated on its own
(raw deflate primed with the previous piece's last 32 KiB as dictionary, ended with a sync
flush, the last one with Z_FINISH), and the pieces are concatenated in order into one gzip
member. The output is a function of the data, the level and the piece size only — not of
the number of threads or of how the caller split its writes — and any gzip reader reads it.
zlib releases the GIL while deflating, so threads give real parallelism.

The header carries no name and mtime 0, OS 255 (unknown), as Go's compress/gzip writes it.
Reproducibility note: the bytes also depend on the zlib implementation (zlib 1.2.x vs
zlib-ng produce different, equally valid streams); the diff_ids do not.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future

from hardbake.oci.digest import Digest

#: Piece size. Part of the output format: changing it changes every layer digest.
CHUNK = 1 << 20
_WINDOW = 32 * 1024


def _header(level: int) -> bytes:
    xfl = 2 if level == 9 else 4 if level == 1 else 0
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + bytes((xfl, 255))


def _deflate(data: bytes, zdict: bytes, level: int, last: bool) -> bytes:
    if zdict:
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
    else:
        c = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
    return c.compress(data) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


class GzipWriter:
    """Accepts uncompressed bytes with `write`, hands compressed bytes to `sink` in order.

    `close()` returns the digest and size of the uncompressed stream (a layer's diff_id).
    At most `2 * workers + 1` pieces are in flight, so memory stays a few MiB.
    """

    def __init__(
        self,
        sink: Callable[[bytes], object],
        *,
        level: int,
        executor: Executor,
        workers: int,
        chunk: int = CHUNK,
    ) -> None:
        if not 0 <= level <= 9:
            raise ValueError(f"gzip level must be 0..9, not {level}")
        self._sink = sink
        self._level = level
        self._executor = executor
        self._chunk = chunk
        self._max_pending = 2 * max(1, workers) + 1
        self._buf = bytearray()
        self._pending: deque[Future[bytes]] = deque()
        self._zdict = b""
        self._crc = 0
        self._size = 0
        self._sha = hashlib.sha256()
        self._closed = False
        sink(_header(level))

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._buf += data
        if len(self._buf) >= self._chunk:
            self._flush_full()

    def _flush_full(self) -> None:
        chunk = self._chunk
        while len(self._buf) >= chunk:
            with memoryview(self._buf) as view:
                piece = bytes(view[:chunk])
            del self._buf[:chunk]
            self._submit(piece, last=False)

    def _submit(self, piece: bytes, last: bool) -> None:
        self._crc = zlib.crc32(piece, self._crc)
        self._sha.update(piece)
        self._size += len(piece)
        self._pending.append(self._executor.submit(_deflate, piece, self._zdict, self._level, last))
        self._zdict = piece[-_WINDOW:]
        while len(self._pending) > self._max_pending:
            self._sink(self._pending.popleft().result())

    def close(self) -> tuple[Digest, int]:
        """Finish the stream; returns (sha256 of the uncompressed data, its size)."""
        if self._closed:
            raise ValueError("GzipWriter already closed")
        self._closed = True
        self._submit(bytes(self._buf), last=True)
        self._buf = bytearray()
        while self._pending:
            self._sink(self._pending.popleft().result())
        self._sink(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))
        return Digest.from_hasher(self._sha), self._size

    def abort(self) -> None:
        """Drop pending work (after an error elsewhere)."""
        self._closed = True
        for f in self._pending:
            f.cancel()
        self._pending.clear()
