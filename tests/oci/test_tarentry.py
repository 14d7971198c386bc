"""TarEntry validation and the order a layer is written in."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.errors import InputError
from hardbake.oci.tarentry import Kind, TarEntry, plan, sort_key


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/etc/passwd", "absolute"),
        ("usr/../etc", "'..'"),
        ("..", "'..'"),
        ("./usr", "'.'"),
        ("usr//bin", "empty"),
        ("usr/bin/", "empty"),
        ("", "empty path"),
        ("a\0b", "NUL"),
    ],
)
def test_bad_paths_name_the_entry(path: str, says: str) -> None:
    with pytest.raises(InputError, match=says) as e:
        TarEntry.file(path, b"x")
    assert repr(path) in e.value.message or path == ""


def test_device_nodes_and_fifos_are_not_kinds() -> None:
    with pytest.raises(InputError, match="kind 'char' is not one of"):
        TarEntry("dev/null", "char", 0o666)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: TarEntry.file("a", b"x", mode=0o10000), "mode"),
        (lambda: TarEntry.file("a", b"x", uid=-1), "uid"),
        (lambda: TarEntry("a", Kind.FILE, 0o644, size=3, data=b"xy"), "size 3 but 2 bytes"),
        (lambda: TarEntry("a", Kind.FILE, 0o644, size=3), "no data source"),
        (lambda: TarEntry("a", Kind.DIR, 0o755, size=1), "only regular files"),
        (lambda: TarEntry.symlink("a", ""), "needs a target"),
        (lambda: TarEntry.hardlink("a", "../b"), "hardlink target"),
        (lambda: TarEntry.hardlink("a", "/b"), "absolute"),
        (lambda: TarEntry.file("d/.wh.x", b"not empty"), "whiteout must be an empty"),
        (lambda: TarEntry.file(".wh.d/x", b""), "cannot be a directory"),
        (lambda: TarEntry.file("a", lambda: open("/dev/null", "rb")), "size is required"),  # noqa: SIM115
    ],
)
def test_invalid_entries(make: object, says: str) -> None:
    with pytest.raises(InputError, match=says):
        make()  # type: ignore[operator]


def test_whiteout_and_opaque_names() -> None:
    assert TarEntry.whiteout("etc/apt").path == "etc/.wh.apt"
    assert TarEntry.whiteout("top").path == ".wh.top"
    assert TarEntry.opaque("var/lib").path == "var/lib/.wh..wh..opq"
    assert TarEntry.whiteout("etc/apt").is_whiteout


def test_file_size_from_path(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"12345")
    assert TarEntry.file("f", p).size == 5


def test_plan_orders_parents_first_and_whiteouts_before_siblings() -> None:
    entries = [
        TarEntry.file("a-b", b""),
        TarEntry.file("a/z", b""),
        TarEntry.whiteout("a/m"),
        TarEntry.dir("a"),
        TarEntry.opaque("a"),
        TarEntry.file("a/b/c", b""),
        TarEntry.dir("a/b"),
    ]
    assert [e.path for e in plan(entries)] == [
        "a",
        "a/.wh..wh..opq",
        "a/.wh.m",
        "a/b",
        "a/b/c",
        "a/z",
        "a-b",
    ]


@given(st.lists(st.text(alphabet="ab.-", min_size=1, max_size=3), min_size=1, max_size=4).map("/".join))
def test_sort_key_puts_every_parent_before_its_children(path: str) -> None:
    parts = path.split("/")
    for i in range(1, len(parts)):
        assert sort_key("/".join(parts[:i])) < sort_key(path)


def test_duplicates_are_refused() -> None:
    with pytest.raises(InputError, match="'etc/passwd': duplicate path"):
        plan([TarEntry.file("etc/passwd", b"a"), TarEntry.file("etc/passwd", b"b")])


def test_hardlinks_to_nothing_or_to_a_directory_are_refused() -> None:
    with pytest.raises(InputError, match="'bin/b': hardlink target 'bin/a' is not in this layer"):
        plan([TarEntry.hardlink("bin/b", "bin/a")])
    with pytest.raises(InputError, match="not a regular file"):
        plan([TarEntry.dir("d"), TarEntry.hardlink("x", "d")])
    with pytest.raises(InputError, match="not a regular file"):
        plan([TarEntry.hardlink("x", "y"), TarEntry.hardlink("y", "x")])


def test_hardlink_groups_get_the_data_on_their_first_path() -> None:
    out = plan(
        [
            TarEntry.file("usr/bin/z", b"data", mode=0o4755, uid=5),
            TarEntry.hardlink("usr/bin/a", "usr/bin/z"),
            TarEntry.hardlink("usr/bin/m", "usr/bin/a"),  # a chain resolves to the file
        ]
    )
    assert [(e.path, e.kind, e.linkname) for e in out] == [
        ("usr/bin/a", Kind.FILE, ""),
        ("usr/bin/m", Kind.HARDLINK, "usr/bin/a"),
        ("usr/bin/z", Kind.HARDLINK, "usr/bin/a"),
    ]
    assert out[0].data == b"data" and out[0].mode == 0o4755 and out[0].uid == 5


def test_mtimes_are_clamped_and_parents_added_on_request() -> None:
    out = plan([TarEntry.file("a/b/c", b"", mtime=2_000_000_000)], source_date_epoch=1_000, add_parents=True)
    assert [(e.path, e.kind, e.mtime) for e in out] == [
        ("a", Kind.DIR, 1_000),
        ("a/b", Kind.DIR, 1_000),
        ("a/b/c", Kind.FILE, 1_000),
    ]
    assert plan([TarEntry.file("x", b"", mtime=5)], source_date_epoch=1_000)[0].mtime == 5
