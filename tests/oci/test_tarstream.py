"""The tar header writer and the streaming reader, each against Python's tarfile and GNU tar."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardbake.oci import tarheader as th
from hardbake.oci.errors import ImageError
from hardbake.oci.tarstream import TarReader
from hardbake.testing.images import tar_bytes, tar_member

names = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
        min_size=1,
        max_size=40,
    ).filter(lambda s: s not in (".", "..")),
    min_size=1,
    max_size=5,
).map("/".join)

members = st.lists(
    st.tuples(
        names,
        st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE]),
        st.binary(max_size=1500),
        st.integers(0, 0o7777),
        st.integers(0, 2**32 - 1),
        st.text(max_size=40),
    ),
    max_size=6,
    unique_by=lambda m: m[0],
)


def _read_all(data: bytes) -> list[tuple[str, bytes, int, int, int, str, bytes]]:
    out = []
    reader = TarReader(io.BytesIO(data), "test")
    for h in reader:
        out.append((h.name.rstrip("/"), h.typeflag, h.mode, h.uid, h.size, h.linkname, reader.read()))
    return out


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(members, st.sampled_from([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT]))
def test_reader_agrees_with_tarfile(ms: list[tuple[str, bytes, bytes, int, int, str]], fmt: int) -> None:
    built = []
    for name, kind, data, mode, uid, link in ms:
        info = tar_member(name, kind, mode=mode, uid=uid, linkname=link if kind in (b"1", b"2") else "")
        built.append((info, data if kind == tarfile.REGTYPE else None))
    raw = tar_bytes(built, fmt)
    expected = []
    with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
        for m in tf.getmembers():
            f = tf.extractfile(m) if m.isreg() else None
            expected.append(
                (
                    m.name,
                    m.type,
                    m.mode,
                    m.uid,
                    m.size if m.isreg() else 0,
                    m.linkname,
                    f.read() if f else b"",
                )
            )
    assert _read_all(raw) == expected


@settings(max_examples=60)
@given(
    names,
    st.sampled_from([th.REGTYPE, th.DIRTYPE, th.SYMTYPE]),
    st.integers(0, 2**40),
    st.integers(0, 2**34),
    st.text(max_size=70),
    st.text(max_size=40),
)
def test_header_writer_agrees_with_tarfile(
    name: str, kind: bytes, uid: int, mtime: int, linkname: str, uname: str
) -> None:
    size = 5 if kind == th.REGTYPE else 0
    header = th.encode(
        name,
        kind,
        mode=0o4755,
        uid=uid,
        gid=7,
        size=size,
        mtime=mtime,
        linkname=linkname,
        uname=uname,
        gname="g",
    )
    raw = header + b"x" * size + th.padding(size) + th.END_OF_ARCHIVE
    with tarfile.open(fileobj=io.BytesIO(raw), encoding="utf-8", errors="surrogateescape") as tf:
        (m,) = tf.getmembers()
    assert (m.name, m.type, m.mode, m.uid, m.gid, m.size, m.mtime) == (
        name,
        kind,
        0o4755,
        uid,
        7,
        size,
        mtime,
    )
    assert (m.linkname, m.uname, m.gname) == (linkname, uname, "g")
    assert len(header) % 512 == 0
    if (
        name.isascii()
        and len(name) < 100
        and linkname.isascii()
        and len(linkname) < 100
        and uname.isascii()
        and len(uname) < 32
        and uid < 8**7
        and mtime < 8**11
    ):
        assert len(header) == 512  # pax only when ustar cannot hold a value


def test_gnu_tar_lists_our_headers(tmp_path: Path) -> None:
    long = "d/" + "x" * 150
    raw = (
        th.encode("a/", th.DIRTYPE, mode=0o755)
        + th.encode(long, th.REGTYPE, mode=0o644, size=3, uname="nonroot", uid=65532)
        + b"abc"
        + th.padding(3)
        + th.END_OF_ARCHIVE
    )
    p = tmp_path / "t.tar"
    p.write_bytes(raw)
    out = subprocess.run(["tar", "-tvf", str(p)], capture_output=True, text=True, check=True).stdout
    assert "nonroot" in out and long in out


def test_fixed_header_holds_sizes_beyond_8_gib() -> None:
    block = th.fixed("layer.tar", 9 * 8**11)
    assert len(block) == 512
    h = next(iter(TarReader(io.BytesIO(block + b"\0" * 1024), "t")))
    assert h.size == 9 * 8**11


def test_meta_headers_and_links_from_gnu_format() -> None:
    raw = tar_bytes(
        [
            (tar_member("x" * 200), b"data"),
            (tar_member("l", tarfile.LNKTYPE, linkname="x" * 200), None),
            (tar_member("s", tarfile.SYMTYPE, linkname="/" + "y" * 150), None),
        ],
        tarfile.GNU_FORMAT,
    )
    got = _read_all(raw)
    assert got[0][0] == "x" * 200 and got[0][-1] == b"data"
    assert got[1][5] == "x" * 200 and got[1][4] == 0
    assert got[2][5] == "/" + "y" * 150


def test_unread_data_is_skipped_and_seekable_streams_are_skipped_by_seek(tmp_path: Path) -> None:
    raw = tar_bytes([(tar_member("a"), b"A" * 3_000_000), (tar_member("b"), b"bee")])
    p = tmp_path / "t.tar"
    p.write_bytes(raw)
    with open(p, "rb") as f:
        reader = TarReader(f, "t")
        seen = [(h.name, reader.read() if h.name == "b" else None, h.offset) for h in reader]
    assert seen[1][:2] == ("b", b"bee")
    assert raw[seen[0][2] : seen[0][2] + 3] == b"AAA"


@pytest.mark.parametrize("cut", [100, 600, 1000, 3000])
def test_truncated_archives_are_errors_not_short_archives(cut: int) -> None:
    raw = tar_bytes([(tar_member("a"), b"A" * 2000), (tar_member("b"), b"B" * 100)])
    with pytest.raises(ImageError, match="truncated"):
        _read_all(raw[:cut])


def test_corrupt_header_is_an_error_anywhere() -> None:
    raw = bytearray(tar_bytes([(tar_member("a"), b"A"), (tar_member("b"), b"B")]))
    raw[1024 + 10] ^= 0xFF  # second header's name
    with pytest.raises(ImageError, match="checksum at offset 1024"):
        _read_all(bytes(raw))


def test_sparse_members_are_refused() -> None:
    block = bytearray(th.encode("s", th.REGTYPE, mode=0o644))
    block[156:157] = b"S"
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    with pytest.raises(ImageError, match="sparse"):
        _read_all(bytes(block) + th.END_OF_ARCHIVE)


def test_oversized_pax_header_is_refused() -> None:
    pax = th.fixed("././@PaxHeader", 2 << 20, typeflag=b"x")
    with pytest.raises(ImageError, match="too large"):
        _read_all(pax + b"%d path=" % (2 << 20))
