"""A streaming tar reader for untrusted layers and archives.

Why not `tarfile`: in stream mode it keeps every member in a list (memory grows with the
layer), skips data in 10 KiB reads, and treats a corrupt or truncated header after the first
member as a normal end of archive. This reader keeps nothing, reads in large pieces, and
turns every malformation into an `ImageError` naming the stream and the offset.

It understands ustar, GNU (long names `L`/`K`, base-256 numbers) and pax (`x`, `g`), which is
what Docker, BuildKit, Go's archive/tar, GNU tar and Python write. Sparse and multi-volume
members are refused. Names are returned as stored (decoded as UTF-8 with surrogateescape);
normalising and judging them is the caller's business.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from hardbake.oci.errors import ImageError
from hardbake.oci.readstream import ReadStream
from hardbake.oci.tarheader import BLOCK

_BUF = 1 << 20
_META_LIMIT = 1 << 20  # pax / long-name payloads larger than this are refused
_REGULAR = (b"0", b"\0", b"7")
_HEADER_ONLY = (b"1", b"2", b"3", b"4", b"5", b"6")  # no data follows, whatever size says (as Go)


@dataclass(frozen=True, slots=True)
class TarHeader:
    name: str
    typeflag: bytes
    mode: int
    uid: int
    gid: int
    size: int
    mtime: int
    linkname: str
    uname: str
    gname: str
    devmajor: int
    devminor: int
    offset: int  # where the data starts in the stream

    @property
    def is_regular(self) -> bool:
        return self.typeflag in _REGULAR

    @property
    def is_dir(self) -> bool:
        return self.typeflag == b"5"


def _str(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


class TarReader:
    """Iterate the members of a tar stream; read the current member's data through `data()`."""

    def __init__(self, stream: BinaryIO, what: str) -> None:
        self._f = stream
        self._what = what
        self._buf = b""
        self._off = 0  # read position inside self._buf
        self._pos = 0  # stream offset of self._buf[self._off]
        self._remaining = 0  # unread data bytes of the current member
        self._pad = 0
        self._global: dict[str, str] = {}
        try:
            self._seekable = bool(stream.seekable())
        except (AttributeError, OSError):
            self._seekable = False

    # -- low level -------------------------------------------------------------------------
    def _available(self) -> int:
        return len(self._buf) - self._off

    def _fill(self, n: int) -> None:
        """Try to have n bytes buffered (fewer only at end of stream)."""
        while self._available() < n:
            more = self._f.read(max(_BUF, n - self._available()))
            if not more:
                return
            self._buf = self._buf[self._off :] + more if self._available() else more
            self._off = 0

    def _take(self, n: int) -> bytes:
        """Up to n bytes (fewer only at end of stream)."""
        if not self._available():
            self._fill(1)
        out = self._buf[self._off : self._off + n]
        self._off += len(out)
        self._pos += len(out)
        return out

    def _take_exact(self, n: int, context: str) -> bytes:
        self._fill(n)
        if self._available() < n:
            raise ImageError(f"{self._what}: truncated {context} at offset {self._pos + self._available()}")
        return self._take(n)

    def _skip(self, n: int) -> None:
        buffered = min(n, self._available())
        self._off += buffered
        self._pos += buffered
        n -= buffered
        if n and self._seekable:
            end = self._f.seek(0, io.SEEK_END)
            if self._pos + n > end:
                raise ImageError(f"{self._what}: truncated member data at offset {end}")
            self._f.seek(self._pos + n)
            self._pos += n
            return
        while n:
            chunk = self._f.read(min(n, _BUF))
            if not chunk:
                raise ImageError(f"{self._what}: truncated member data at offset {self._pos}")
            self._pos += len(chunk)
            n -= len(chunk)

    # -- members ---------------------------------------------------------------------------
    def read(self, n: int = -1) -> bytes:
        """Read from the current member's data (at most what is left of it)."""
        if n < 0 or n > self._remaining:
            n = self._remaining
        if n == 0:
            return b""
        out = self._take(n)
        if not out:
            raise ImageError(f"{self._what}: truncated member data at offset {self._pos}")
        self._remaining -= len(out)
        return out

    def data(self) -> BinaryIO:
        """A file object over the current member's data; valid until the next member."""
        return cast(BinaryIO, _MemberStream(self))

    def __iter__(self) -> Iterator[TarHeader]:
        while True:
            self._skip(self._remaining + self._pad)
            self._remaining = self._pad = 0
            header = self._next()
            if header is None:
                return
            self._remaining = 0 if header.typeflag in _HEADER_ONLY else header.size
            self._pad = -self._remaining % BLOCK
            yield header

    def _meta(self, size: int, kind: str) -> bytes:
        if size > _META_LIMIT:
            raise ImageError(f"{self._what}: {kind} of {size} bytes at offset {self._pos} is too large")
        data = self._take_exact(size, kind)
        self._skip(-size % BLOCK)
        return data

    def _next(self) -> TarHeader | None:
        pax: dict[str, str] = {}
        long_name: str | None = None
        long_link: str | None = None
        pending = False
        while True:
            self._fill(BLOCK)
            if not self._available():
                if pending:
                    raise ImageError(f"{self._what}: archive ends after an extended header")
                return None  # clean end without end-of-archive blocks (Go's reader accepts it)
            start = self._pos
            block = self._take_exact(BLOCK, "header")
            if block == b"\0" * BLOCK:
                if pending:
                    raise ImageError(f"{self._what}: end-of-archive right after an extended header")
                return None
            self._check(block, start)
            typeflag = block[156:157]
            size = self._number(block[124:136], start)
            if typeflag in (b"x", b"g"):
                records = _parse_pax(self._meta(size, "pax header"), self._what, start)
                if typeflag == b"g":
                    self._global.update(records)
                else:
                    pax.update(records)
                pending = typeflag == b"x"
                continue
            if typeflag in (b"L", b"K"):
                value = _str(self._meta(size, "GNU long name"))
                if typeflag == b"L":
                    long_name = value
                else:
                    long_link = value
                pending = True
                continue
            if typeflag in (b"S", b"M", b"V"):
                raise ImageError(
                    f"{self._what}: member at offset {start} has tar type {typeflag.decode()!r} "
                    "(sparse, multi-volume or volume label), which images do not use"
                )
            return self._header(block, start, {**self._global, **pax}, long_name, long_link)

    def _header(
        self, block: bytes, start: int, pax: dict[str, str], long_name: str | None, long_link: str | None
    ) -> TarHeader:
        name = _str(block[0:100])
        if block[257:263] == b"ustar\x00":  # POSIX: the prefix field extends the name
            prefix = _str(block[345:500])
            if prefix:
                name = f"{prefix}/{name}"
        num = self._number
        fields: dict[str, Any] = {
            "name": long_name if long_name is not None else name,
            "linkname": long_link if long_link is not None else _str(block[157:257]),
            "uname": _str(block[265:297]),
            "gname": _str(block[297:329]),
            "uid": num(block[108:116], start),
            "gid": num(block[116:124], start),
            "size": num(block[124:136], start),
            "mtime": num(block[136:148], start),
        }
        for key, target in (
            ("path", "name"),
            ("linkpath", "linkname"),
            ("uname", "uname"),
            ("gname", "gname"),
        ):
            if key in pax:
                fields[target] = pax[key]
        for key in ("uid", "gid", "size", "mtime"):
            if key in pax:
                try:
                    fields[key] = int(pax[key].split(".", 1)[0])
                except ValueError:
                    raise ImageError(f"{self._what}: pax {key}={pax[key]!r} at offset {start}") from None
        if any(k.startswith("GNU.sparse") for k in pax):
            raise ImageError(f"{self._what}: sparse member at offset {start} is not supported in images")
        if fields["size"] < 0:
            raise ImageError(f"{self._what}: negative size at offset {start}")
        typeflag = block[156:157]
        if typeflag in _HEADER_ONLY:
            fields["size"] = 0
        return TarHeader(
            typeflag=typeflag,
            mode=num(block[100:108], start) & 0o7777,
            devmajor=num(block[329:337], start),
            devminor=num(block[337:345], start),
            offset=self._pos,
            **fields,
        )

    def _check(self, block: bytes, start: int) -> None:
        stored = self._number(block[148:156], start)
        unsigned = sum(block[:148]) + 256 + sum(block[156:])
        if stored == unsigned:
            return
        signed = unsigned - 2 * sum(1 for b in block[:148] + block[156:] if b > 127)
        if stored != signed:
            raise ImageError(
                f"{self._what}: bad tar header checksum at offset {start} (corrupt or not a tar stream)"
            )

    def _number(self, field: bytes, start: int) -> int:
        if field and field[0] & 0x80:  # GNU base-256
            if field[0] == 0xFF:
                raise ImageError(f"{self._what}: negative number in tar header at offset {start}")
            value = field[0] & 0x7F
            for b in field[1:]:
                value = value * 256 + b
            return value
        text = field.split(b"\0", 1)[0].strip(b" ")
        if not text:
            return 0
        try:
            return int(text, 8)
        except ValueError:
            raise ImageError(f"{self._what}: bad number {text!r} in tar header at offset {start}") from None


def _parse_pax(data: bytes, what: str, start: int) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:  # trailing NUL padding written by some tools
            break
        space = data.find(b" ", pos)
        try:
            length = int(data[pos:space])
        except ValueError:
            raise ImageError(f"{what}: malformed pax record at offset {start}") from None
        record = data[space + 1 : pos + length]
        if length <= 0 or space < 0 or not record.endswith(b"\n") or b"=" not in record:
            raise ImageError(f"{what}: malformed pax record at offset {start}")
        key, _, value = record[:-1].partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


class _MemberStream(ReadStream):
    def __init__(self, reader: TarReader) -> None:
        super().__init__()
        self._reader = reader

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            # everything that is left: the reader hands out what it has buffered, which from a
            # pipe or an HTTP body (docker-daemon images) is less than the member
            return self.readall()
        return self._reader.read(n)
