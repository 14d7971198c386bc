"""Tar headers, written byte for byte the same on every Python version (POSIX pax, ustar base).

Why not `tarfile.TarInfo.tobuf`: its pax output has changed between Python releases, and an
image digest must not depend on the interpreter. This encoder is small and fixed: a ustar
header, preceded by a pax extended header (`././@PaxHeader`) only when a value does not fit
ustar (long or non-ASCII names, ids >= 8**7, sizes >= 8**11), with records in sorted order.
"""

from __future__ import annotations

BLOCK = 512
END_OF_ARCHIVE = b"\0" * (2 * BLOCK)

REGTYPE = b"0"
LNKTYPE = b"1"
SYMTYPE = b"2"
CHRTYPE = b"3"
BLKTYPE = b"4"
DIRTYPE = b"5"
FIFOTYPE = b"6"
PAXTYPE = b"x"

_MAX7 = 8**7
_MAX11 = 8**11


def padding(size: int) -> bytes:
    """The zero bytes that follow `size` bytes of data to reach a block boundary."""
    return b"\0" * (-size % BLOCK)


def _octal(value: int, width: int) -> bytes:
    return b"%0*o\0" % (width - 1, value)


def _pax_record(key: str, value: str) -> bytes:
    body = f" {key}={value}\n".encode("utf-8", "surrogateescape")
    n = len(body) + 1
    while len(str(n)) + len(body) != n:
        n += 1
    return str(n).encode() + body


def _ustar(
    name: bytes,
    typeflag: bytes,
    mode: int,
    uid: int,
    gid: int,
    size: int,
    mtime: int,
    linkname: bytes,
    uname: bytes,
    gname: bytes,
) -> bytes:
    block = bytearray(BLOCK)
    block[0 : len(name[:100])] = name[:100]
    block[100:108] = _octal(mode, 8)
    block[108:116] = _octal(uid, 8)
    block[116:124] = _octal(gid, 8)
    block[124:136] = _octal(size, 12)
    block[136:148] = _octal(mtime, 12)
    block[148:156] = b" " * 8
    block[156:157] = typeflag
    block[157 : 157 + len(linkname[:100])] = linkname[:100]
    block[257:265] = b"ustar\x0000"
    block[265 : 265 + len(uname[:32])] = uname[:32]
    block[297 : 297 + len(gname[:32])] = gname[:32]
    block[329:337] = _octal(0, 8)
    block[337:345] = _octal(0, 8)
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def fixed(name: str, size: int, *, mode: int = 0o644, typeflag: bytes = REGTYPE) -> bytes:
    """Exactly one 512-byte block for a short ASCII name, whatever the size (GNU base-256
    beyond 8 GiB), so a writer can reserve it and fill the size in afterwards."""
    raw = name.encode("ascii")
    if len(raw) > 100:
        raise ValueError(f"name {name!r} is too long for a fixed header")
    block = bytearray(_ustar(raw, typeflag, mode, 0, 0, 0, 0, b"", b"", b""))
    if size < _MAX11:
        block[124:136] = _octal(size, 12)
    else:
        block[124:136] = b"\x80" + size.to_bytes(11, "big")
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def encode(
    name: str,
    typeflag: bytes,
    *,
    mode: int,
    uid: int = 0,
    gid: int = 0,
    size: int = 0,
    mtime: int = 0,
    linkname: str = "",
    uname: str = "",
    gname: str = "",
) -> bytes:
    """The header block(s) for one member: optional pax header, then the ustar header."""
    pax: dict[str, str] = {}
    fields: dict[str, bytes] = {}
    for key, pax_key, value, limit in (
        ("name", "path", name, 100),
        ("linkname", "linkpath", linkname, 100),
        ("uname", "uname", uname, 32),
        ("gname", "gname", gname, 32),
    ):
        raw = value.encode("utf-8", "surrogateescape")
        if len(raw) > limit or not raw.isascii():
            pax[pax_key] = value
            raw = raw.decode("ascii", "replace").encode("ascii", "replace")[:limit]
        fields[key] = raw
    numbers = {"uid": uid, "gid": gid, "size": size, "mtime": mtime}
    for key, limit in (("uid", _MAX7), ("gid", _MAX7), ("size", _MAX11), ("mtime", _MAX11)):
        if numbers[key] >= limit:
            pax[key] = str(numbers[key])
            numbers[key] = 0
    header = _ustar(
        fields["name"],
        typeflag,
        mode,
        numbers["uid"],
        numbers["gid"],
        numbers["size"],
        numbers["mtime"],
        fields["linkname"],
        fields["uname"],
        fields["gname"],
    )
    if not pax:
        return header
    records = b"".join(_pax_record(k, pax[k]) for k in sorted(pax))
    pax_header = _ustar(b"././@PaxHeader", PAXTYPE, 0o644, 0, 0, len(records), 0, b"", b"", b"")
    return pax_header + records + padding(len(records)) + header
