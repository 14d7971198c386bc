"""Reading an image's dpkg database (status + info, or status.d) and writing stanzas back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.errors import InputError
from hardbake.oci import BlobStore
from hardbake.oci.filesystem import Filesystem
from hardbake.oci.layer import write_layers
from hardbake.oci.tarentry import TarEntry
from hardbake.patch.dpkgdb import Stanza, md5sums_paths, parse_stanzas, read_db, snapshot
from hardbake.testing.images import image_of

STATUS = """Package: libfoo1
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: foo (1.2-1)
Version: 1.2-1+b1
Depends: libc6 (>= 2.34)
Conffiles:
 /etc/foo.conf 0123456789abcdef0123456789abcdef
Description: a library
 Longer text.
 .
 More.

Package: gone
Status: deinstall ok config-files
Architecture: all
Version: 1

Package: tool
Status: install ok installed
Architecture: amd64
Version: 3
"""


def fs_of(tmp: Path, entries: list[TarEntry]) -> Filesystem:
    (layer,) = write_layers([entries], BlobStore(tmp / "blobs"))
    return Filesystem.scan(image_of([layer]))


def test_status_style(tmp_path: Path) -> None:
    fs = fs_of(tmp_path, [
        TarEntry.file("var/lib/dpkg/status", STATUS.encode()),
        TarEntry.file("var/lib/dpkg/diversions", b"/usr/bin/x\n/usr/bin/x.real\ntool\n"),
    ])  # fmt: skip
    db = read_db(fs, snapshot(fs))
    assert db.style == "status" and [p.name for p in db.packages] == ["libfoo1", "tool"]
    foo = db.packages[0]
    assert foo.source == ("foo", "1.2-1") and foo.multi_arch_same and foo.info_name == "libfoo1:amd64"
    assert foo.conffiles == {"/etc/foo.conf": "0123456789abcdef0123456789abcdef"}
    assert db.packages[1].source == ("tool", "3") and db.packages[1].info_name == "tool"
    assert len(db.other) == 1 and db.other[0].get("Package") == "gone"
    assert db.diversions == {"/usr/bin/x": ("/usr/bin/x.real", "tool")}


def test_status_d_style(tmp_path: Path) -> None:
    fs = fs_of(tmp_path, [
        TarEntry.file("var/lib/dpkg/status.d/tool", b"Package: tool\nVersion: 3\nArchitecture: amd64\n"),
        TarEntry.file("var/lib/dpkg/status.d/tool.md5sums", b"d41d8cd98f00b204e9800998ecf8427e  usr/bin/tool\n"),
    ])  # fmt: skip
    db = read_db(fs, snapshot(fs))
    assert db.style == "status.d" and db.packages[0].origin == "var/lib/dpkg/status.d/tool"
    assert md5sums_paths(b"d41d8cd98f00b204e9800998ecf8427e  usr/bin/tool\n") == ["usr/bin/tool"]


def test_no_database_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no dpkg database"):
        fs = fs_of(tmp_path, [TarEntry.file("etc/hostname", b"x\n")])
        read_db(fs, snapshot(fs))


def test_stanza_edit_keeps_order_and_continuations() -> None:
    (s, *_) = parse_stanzas(STATUS, "status")
    assert s.dump().split("\n")[:3] == [
        "Package: libfoo1",
        "Status: install ok installed",
        "Priority: optional",
    ]
    assert " Longer text.\n .\n More.\n" in s.dump()
    t = s.with_field("Version", "1.2-2").with_field("Status", None).with_field("X-New", "y", after="Package")
    lines = t.dump().splitlines()
    assert lines[0] == "Package: libfoo1" and lines[1] == "X-New: y" and "Version: 1.2-2" in lines
    assert not any(line.startswith("Status:") for line in lines)
    with pytest.raises(InputError):
        Stanza.parse(" starts with a continuation\n")
    with pytest.raises(InputError):
        Stanza.parse("no colon here\n")


_names = st.from_regex(r"[A-Z][a-z]{1,8}(-[A-Z][a-z]{1,5})?", fullmatch=True)
_values = st.from_regex(r"[a-z0-9][a-z0-9 .,()>=+~-]{0,30}[a-z0-9)]", fullmatch=True)


@given(
    st.lists(
        st.tuples(_names, st.lists(_values, min_size=1, max_size=3)),
        min_size=1,
        max_size=6,
        unique_by=lambda t: t[0].lower(),
    )
)
def test_dump_parse_round_trip(fields: list[tuple[str, list[str]]]) -> None:
    stanza = Stanza(tuple((k, "\n".join([v[0], *(" " + x for x in v[1:])])) for k, v in fields))
    assert Stanza.parse(stanza.dump()) == stanza
