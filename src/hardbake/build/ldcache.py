"""/etc/ld.so.cache, written without running ldconfig (which would need the target's arch).

Format: glibc's "new" cache (elf/cache.c, sysdeps/generic/dl-cache.h), string offsets
relative to the start of the file: a 48-byte header (`glibc-ld.so.cache1.1`, nlibs,
len_strings, flags, extension offset), 24-byte entries (flags, key, value, osversion, hwcap),
then the string table. Entries are sorted in *descending* `_dl_cache_libcmp` order, which is
the order ld.so's binary search and `ldconfig -p` expect.

Which libraries: ELF shared objects named lib*.so* / ld-*.so* in the directories of
/etc/ld.so.conf (and its include files) plus the trusted /lib and /usr/lib, keyed by their
DT_SONAME, valued by the path of the soname link in that directory — what ldconfig lists.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
import struct
from dataclasses import dataclass

from hardbake.build.rootfs import Node, RootFS

_MAGIC = b"glibc-ld.so.cache1.1"
_FLAG_ELF_LIBC6 = 0x0003
#: per-arch library flags from sysdeps/generic/ldconfig.h
ARCH_FLAGS = {
    "amd64": 0x0300,  # FLAG_X8664_LIB64
    "arm64": 0x0A00,  # FLAG_AARCH64_LIB64
    "armhf": 0x0900,  # FLAG_ARM_LIBHF
    "ppc64el": 0x0500,  # FLAG_POWERPC_LIB64
    "s390x": 0x0400,  # FLAG_S390_LIB64
    "riscv64": 0x1000,  # FLAG_RISCV_FLOAT_ABI_DOUBLE
    "i386": 0x0000,
    "armel": 0x0000,
}
_NAME_RE = re.compile(r"^(lib|ld-).*\.so(\.|$)")
_DT_SONAME = 14
_SHT_DYNAMIC = 6


@dataclass(frozen=True)
class Entry:
    soname: str
    path: str  # absolute path in the image


def elf_soname(data: bytes) -> str | None:
    """DT_SONAME of an ELF shared object, or None if it is not one (or has none)."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return None
    cls, enc = data[4], data[5]
    end = "<" if enc == 1 else ">"
    try:
        if cls == 2:
            (e_type,) = struct.unpack_from(end + "H", data, 16)
            (shoff,) = struct.unpack_from(end + "Q", data, 40)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 58)
            sh_fmt, dyn_fmt = end + "IIQQQQIIQQ", end + "qQ"
        elif cls == 1:
            (e_type,) = struct.unpack_from(end + "H", data, 16)
            (shoff,) = struct.unpack_from(end + "I", data, 32)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 46)
            sh_fmt, dyn_fmt = end + "IIIIIIIIII", end + "iI"
        else:
            return None
        if e_type != 3:  # ET_DYN
            return None
        sections = [struct.unpack_from(sh_fmt, data, shoff + i * shentsize) for i in range(shnum)]
        for sh in sections:
            if sh[1] != _SHT_DYNAMIC:
                continue
            dyn_off, dyn_size, link = sh[4], sh[5], sh[6]
            strtab = sections[link]
            str_off = strtab[4]
            step = struct.calcsize(dyn_fmt)
            for off in range(dyn_off, dyn_off + dyn_size, step):
                tag, val = struct.unpack_from(dyn_fmt, data, off)
                if tag == 0:
                    break
                if tag == _DT_SONAME:
                    start = str_off + val
                    return data[start : data.index(b"\0", start)].decode()
    except (struct.error, IndexError, ValueError):
        return None
    return None


def _conf_dirs(fs: RootFS, conf: str = "etc/ld.so.conf", depth: int = 0) -> list[str]:
    node = fs.resolve(conf)
    if node is None and depth == 0:
        # libc-bin (which ships /etc/ld.so.conf) is often not in a runtime image, but libc6's
        # /etc/ld.so.conf.d/<triplet>.conf is: read it as Debian's ld.so.conf would include it
        node = Node(conf, "file", 0o644, data=b"include /etc/ld.so.conf.d/*.conf\n")
    if node is None or node.data is None or depth > 8:
        return []
    dirs: list[str] = []
    for line in node.data.decode(errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("include "):
            pattern = line.split(None, 1)[1].strip().lstrip("/")
            parent = posixpath.dirname(pattern)
            d = fs.resolve(parent)
            if d is None or d.kind != "dir":
                continue
            for child in sorted(fs.children(d.path), key=lambda n: n.path):
                if fnmatch.fnmatch(child.path, posixpath.join(d.path, posixpath.basename(pattern))):
                    dirs += _conf_dirs(fs, child.path, depth + 1)
        else:
            dirs.append(line)
    return dirs


def _libcmp(a: str, b: str) -> int:
    """glibc's _dl_cache_libcmp: digit runs compare numerically."""
    i = j = 0
    while i < len(a):
        if a[i].isdigit():
            if j < len(b) and b[j].isdigit():
                v1 = 0
                while i < len(a) and a[i].isdigit():
                    v1, i = v1 * 10 + int(a[i]), i + 1
                v2 = 0
                while j < len(b) and b[j].isdigit():
                    v2, j = v2 * 10 + int(b[j]), j + 1
                if v1 != v2:
                    return v1 - v2
            else:
                return 1
        elif j < len(b) and b[j].isdigit():
            return -1
        elif j >= len(b) or a[i] != b[j]:
            return ord(a[i]) - (ord(b[j]) if j < len(b) else 0)
        else:
            i, j = i + 1, j + 1
    return 0 - (ord(b[j]) if j < len(b) else 0)


def scan(fs: RootFS) -> list[Entry]:
    """The libraries ldconfig would list for this tree."""
    dirs = [*_conf_dirs(fs), "/lib", "/usr/lib"]
    seen_dirs: set[str] = set()
    out: list[Entry] = []
    seen: set[tuple[str, str]] = set()
    for d in dirs:
        node = fs.resolve(d)
        if node is None or node.kind != "dir" or node.path in seen_dirs:
            continue
        seen_dirs.add(node.path)
        for child in sorted(fs.children(node.path), key=lambda n: n.path):
            name = posixpath.basename(child.path)
            if not _NAME_RE.match(name):
                continue
            target = fs.resolve(child.path)
            if target is None or target.kind not in ("file", "hardlink") or target.data is None:
                continue
            soname = elf_soname(target.data)
            if soname is None or soname != name:
                continue  # ldconfig keys by soname; the soname link is what it lists
            key = (soname, d.rstrip("/"))
            if key not in seen:
                seen.add(key)
                out.append(Entry(soname, f"{d.rstrip('/')}/{soname}"))
    return out


def build(entries: list[Entry], arch: str) -> bytes:
    """The bytes of an ld.so.cache for `entries`."""
    flags = _FLAG_ELF_LIBC6 | ARCH_FLAGS.get(arch, 0)
    # the loader reads the cache in its own byte order: s390x is big-endian
    end, endian_flag = (">", 3) if arch == "s390x" else ("<", 2)

    def descending(x: Entry, y: Entry) -> int:
        return _libcmp(y.soname, x.soname)

    ordered = sorted(entries, key=functools.cmp_to_key(descending))
    header_size, entry_size = 48, 24
    strings = bytearray()
    offsets: dict[str, int] = {}
    base = header_size + entry_size * len(ordered)

    def intern(s: str) -> int:
        if s not in offsets:
            offsets[s] = base + len(strings)
            strings.extend(s.encode() + b"\0")
        return offsets[s]

    body = bytearray()
    for e in ordered:
        body += struct.pack(end + "iIIIQ", flags, intern(e.soname), intern(e.path), 0, 0)
    # flags byte: cache_file_new_flags_endian_{little,big}; no extension section
    header = _MAGIC + struct.pack(
        end + "IIB3sI12s", len(ordered), len(strings), endian_flag, b"\0\0\0", 0, b"\0" * 12
    )
    assert len(header) == header_size
    return bytes(header + body + strings)


def write(fs: RootFS, arch: str, mtime: int) -> int:
    """Add etc/ld.so.cache to the tree (if it has a libc); returns how many libraries it lists."""
    entries = scan(fs)
    if not entries:
        return 0
    fs.put(Node("etc/ld.so.cache", "file", 0o644, mtime=mtime, data=build(entries, arch)))
    return len(entries)
