"""Go build information embedded in executables, parsed from the bytes (no `go version -m`).

Where it is (Go's `debug/buildinfo` and `cmd/link`): the linker writes a 32-byte header into
the `.go.buildinfo` section, 16-byte aligned, so its file offset is a multiple of 16:

    offset 0   14 bytes  magic "\\xff Go buildinf:"
    offset 14  1 byte    pointer size (4 or 8)
    offset 15  1 byte    flags: bit 0 big-endian, bit 1 "strings inline"
    offset 16  ...       (pointer format) two pointers, see below

- Go >= 1.18 sets bit 1: right after the 32-byte header come two strings, each a uvarint
  length followed by the bytes: the Go version (`go1.19.8`) and the module info.
- Go < 1.18: at offset 16 two pointers (pointer size, endianness from the flags) to Go
  string headers {data pointer, length} of `runtime.buildVersion` and `runtime.modinfo`;
  virtual addresses are mapped to file offsets through the ELF program headers (PT_LOAD).
  This needs random access, so the streaming reader answers `NEEDS_SEEK` and the inventory
  calls `parse_seekable` on a temporary copy.

The module info is framed by two 16-byte sentinels (stripped when the string is at least
33 bytes and byte -17 is a newline) and holds tab-separated lines (`runtime/debug`
`ParseBuildInfo`): `path P` (main package), `mod P V [SUM]` (main module), `dep P V [SUM]`,
`=> P V [SUM]` (replacement of the line before), `build K=V` (values Go-quoted when they
hold spaces, quotes or tabs).

The streaming search reads 1 MiB at a time, keeps a 13-byte overlap, accepts a magic only at
a 16-aligned file offset and only if the header and strings decode (so a program that
merely contains the magic string as data is not mistaken for build info).
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

MAGIC = b"\xff Go buildinf:"
HEADER = 32
ALIGN = 16
_CHUNK = 1 << 20
_MAX_STRING = 4 << 20
_ELF = b"\x7fELF"
_VERSION_SYMBOL = re.compile(
    r"""-X[= ]['"]?[\w./-]*?\.(?:[vV]ersion|VERSION|gitVersion|buildVersion)=['"]?(v?\d[\w.+~-]*)"""
)


class NotBuildInfo(ValueError):
    """The bytes at a candidate offset are not Go build info."""


@dataclass(frozen=True)
class Module:
    path: str
    version: str
    sum: str | None = None
    replaced_by: Module | None = None


@dataclass(frozen=True)
class BuildInfo:
    go_version: str
    path: str | None = None
    main: Module | None = None
    deps: tuple[Module, ...] = ()
    settings: tuple[tuple[str, str], ...] = field(default=())

    def setting(self, key: str) -> str | None:
        return next((v for k, v in self.settings if k == key), None)

    def ldflags_version(self) -> str | None:
        """A version the build stamped with `-ldflags -X pkg.version=V`, if any."""
        flags = self.setting("-ldflags")
        m = _VERSION_SYMBOL.search(flags) if flags else None
        return m[1] if m else None


class PointerFormat(Exception):
    """Build info of Go < 1.18: needs random access (see the module docstring)."""


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(pos, min(pos + 10, len(data))):
        b = data[i]
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i + 1
        shift += 7
    raise NotBuildInfo("truncated or overlong varint")


def _unquote(v: str) -> str:
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        try:
            out = json.loads(v)
            return out if isinstance(out, str) else v
        except ValueError:
            return v[1:-1]
    return v


def parse_modinfo(go_version: str, mod: str) -> BuildInfo:
    if len(mod) >= 33 and mod[-17] == "\n":
        mod = mod[16:-16]
    path = None
    main: Module | None = None
    deps: list[Module] = []
    settings: list[tuple[str, str]] = []
    for line in mod.split("\n"):
        key, _, rest = line.partition("\t")
        f = rest.split("\t")
        if key == "go" and rest:
            go_version = go_version or rest
        elif key == "path":
            path = rest
        elif key in ("mod", "dep") and len(f) >= 2:
            m = Module(f[0], f[1], f[2] if len(f) > 2 and f[2] else None)
            if key == "mod":
                main = m
            else:
                deps.append(m)
        elif key == "=>" and f:
            repl = Module(f[0], f[1] if len(f) > 1 else "", f[2] if len(f) > 2 and f[2] else None)
            if deps:
                d = deps[-1]
                deps[-1] = Module(d.path, d.version, d.sum, repl)
            elif main is not None:
                main = Module(main.path, main.version, main.sum, repl)
        elif key == "build" and "=" in rest:
            k, _, v = rest.partition("=")
            settings.append((_unquote(k), _unquote(v)))
    return BuildInfo(go_version, path, main, tuple(deps), tuple(settings))


def _decode_inline(data: bytes, at: int) -> tuple[str, str]:
    n, pos = _uvarint(data, at + HEADER)
    if n > _MAX_STRING or pos + n > len(data):
        raise NotBuildInfo("version string out of range")
    version = data[pos : pos + n].decode("utf-8", "replace")
    n2, pos2 = _uvarint(data, pos + n)
    if n2 > _MAX_STRING or pos2 + n2 > len(data):
        raise NotBuildInfo("module info out of range")
    if not version.startswith(("go", "devel")):
        raise NotBuildInfo(f"version {version[:20]!r} is not a Go version")
    return version, data[pos2 : pos2 + n2].decode("utf-8", "replace")


def _header(data: bytes, at: int) -> tuple[int, int]:
    ptr, flags = data[at + 14], data[at + 15]
    if ptr not in (4, 8) or flags & ~0x3:
        raise NotBuildInfo("bad pointer size or flags")
    return ptr, flags


def scan_stream(stream: BinaryIO) -> BuildInfo | None:
    """Build info of an ELF executable read front to back; None if it has none (or is not
    ELF). Raises PointerFormat for Go < 1.18 binaries."""
    buf = stream.read(_CHUNK)
    if not buf.startswith(_ELF):
        return None
    base = 0  # file offset of buf[0]
    start = 0
    while True:
        i = buf.find(MAGIC, start)
        if i >= 0:
            start = i + 1
            if (base + i) % ALIGN:
                continue
            # make sure the header and a generous tail are buffered (bounded)
            while len(buf) < i + HEADER + _MAX_STRING:
                more = stream.read(_CHUNK)
                if not more:
                    break
                buf += more
            try:
                _, flags = _header(buf, i)
                if not flags & 2:
                    raise PointerFormat
                return parse_modinfo(*_decode_inline(buf, i))
            except (NotBuildInfo, IndexError):
                continue
        more = stream.read(_CHUNK)
        if not more:
            return None
        keep = len(MAGIC) - 1
        base += len(buf) - keep
        buf = buf[-keep:] + more
        start = 0


# -- Go < 1.18: pointers, resolved through the ELF program headers -------------------------
def _segments(f: BinaryIO) -> list[tuple[int, int, int]]:
    """[(vaddr, offset, filesz)] of the PT_LOAD segments."""
    f.seek(0)
    ident = f.read(16)
    if ident[:4] != _ELF or ident[4] not in (1, 2) or ident[5] not in (1, 2):
        raise NotBuildInfo("not an ELF file")
    is64, order = ident[4] == 2, "<" if ident[5] == 1 else ">"
    if is64:
        f.seek(0x20)
        (phoff,) = struct.unpack(order + "Q", f.read(8))
        f.seek(0x36)
        phentsize, phnum = struct.unpack(order + "HH", f.read(4))
    else:
        f.seek(0x1C)
        (phoff,) = struct.unpack(order + "I", f.read(4))
        f.seek(0x2A)
        phentsize, phnum = struct.unpack(order + "HH", f.read(4))
    segs = []
    for n in range(min(phnum, 256)):
        f.seek(phoff + n * phentsize)
        raw = f.read(phentsize)
        if is64:
            p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack(order + "IIQQQQ", raw[:40])
        else:
            p_type, p_offset, p_vaddr, _, p_filesz = struct.unpack(order + "IIIII", raw[:20])
        if p_type == 1:  # PT_LOAD
            segs.append((p_vaddr, p_offset, p_filesz))
    return segs


def _read_at(f: BinaryIO, segs: list[tuple[int, int, int]], addr: int, n: int) -> bytes:
    for vaddr, offset, filesz in segs:
        if vaddr <= addr and addr + n <= vaddr + filesz:
            f.seek(offset + addr - vaddr)
            return f.read(n)
    raise NotBuildInfo(f"address {addr:#x} is not in any loaded segment")


def _string_at(f: BinaryIO, segs: list[tuple[int, int, int]], pair: str, addr: int) -> str:
    """The Go string whose header {data, len} (struct format `pair`) is at `addr`."""
    data_ptr, length = struct.unpack(pair, _read_at(f, segs, addr, struct.calcsize(pair)))
    if length > _MAX_STRING:
        raise NotBuildInfo("string too long")
    return _read_at(f, segs, data_ptr, length).decode("utf-8", "replace") if length else ""


def parse_seekable(f: BinaryIO) -> BuildInfo | None:
    """Build info of an ELF file with random access: both formats."""
    f.seek(0)
    try:
        return scan_stream(f)
    except PointerFormat:
        pass
    segs = _segments(f)
    f.seek(0)
    offset = 0
    while True:
        chunk = f.read(_CHUNK + HEADER)
        if len(chunk) < HEADER:
            return None
        i = chunk.find(MAGIC)
        while i >= 0 and ((offset + i) % ALIGN or i + HEADER > len(chunk)):
            i = chunk.find(MAGIC, i + 1)
        if i >= 0:
            ptr, flags = _header(chunk, i)
            fmt = {4: "I", 8: "Q"}[ptr]
            order = ">" if flags & 1 else "<"
            p_version, p_mod = struct.unpack(order + fmt * 2, chunk[i + 16 : i + 16 + 2 * ptr])
            pair = order + fmt * 2
            return parse_modinfo(_string_at(f, segs, pair, p_version), _string_at(f, segs, pair, p_mod))
        offset += _CHUNK
        f.seek(offset)
