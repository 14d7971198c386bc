"""Relationship rules for in-place updates: dependencies, Pre-Depends, conflicts, siblings."""

from __future__ import annotations

from hardbake.debian.version import DebVersion
from hardbake.patch.dpkgdb import Stanza
from hardbake.patch.rules import World, settle


def st(name: str, version: str, **fields: str) -> Stanza:
    out = [("Package", name), ("Version", version), ("Architecture", "amd64")]
    out += [(k.replace("_", "-"), v) for k, v in fields.items()]
    return Stanza(tuple(out))


def world(*stanzas: Stanza) -> World:
    return World({s.get("Package") or "": (DebVersion(s.get("Version") or ""), s) for s in stanzas})


def test_a_new_dependency_the_image_lacks_is_refused() -> None:
    old = st("app", "1", Depends="libc6")
    before = world(old, st("libc6", "2.36"))
    refused: dict[str, list[str]] = {}
    ok = settle({"app": (old, st("app", "2", Depends="libc6, libnew1"))}, before, refused)
    assert ok == {} and refused["app"] == [
        "new dependency libnew1 is not satisfied (the image does not have it)"
    ]
    refused = {}
    ok = settle({"app": (old, st("app", "2", Depends="libc6 (>= 2.38)"))}, before, refused)
    assert "libc6 (>= 2.38) is not satisfied (the image has 2.36)" in refused["app"][0]


def test_dependencies_met_by_provides_or_alternatives_pass() -> None:
    old = st("app", "1")
    before = world(old, st("mawk", "1.3", Provides="awk"), st("libc6", "2.36"))
    new = st("app", "2", Depends="awk, libfoo | libc6 (>= 2.30)")
    assert list(settle({"app": (old, new)}, before, {})) == ["app"]


def test_pre_depends_may_change_only_to_something_already_there() -> None:
    old = st("app", "1", Pre_Depends="libc6 (>= 2.30)")
    before = world(old, st("libc6", "2.36"))
    ok_new = st("app", "2", Pre_Depends="libc6 (>= 2.34)")
    assert settle({"app": (old, ok_new)}, before, {}) != {}
    refused: dict[str, list[str]] = {}
    bad_new = st("app", "2", Pre_Depends="libzstd1")
    assert settle({"app": (old, bad_new)}, before, refused) == {}
    assert any("Pre-Depends changed: libzstd1" in r for r in refused["app"])


def test_conflicts_and_breaks_both_ways() -> None:
    old = st("app", "1")
    before = world(old, st("tool", "3", Breaks="app (>= 2)"), st("other", "1"))
    refused: dict[str, list[str]] = {}
    assert settle({"app": (old, st("app", "2"))}, before, refused) == {}
    assert refused["app"] == ["installed tool breaks app (>= 2)"]
    refused = {}
    before = world(old, st("other", "1"))
    assert settle({"app": (old, st("app", "2", Conflicts="other"))}, before, refused) == {}
    assert refused["app"] == ["the new version conflicts installed other"]


def test_siblings_of_one_source_go_together_or_not_at_all() -> None:
    lib_old, bin_old = st("libx1", "1", Depends=""), st("x-bin", "1", Depends="libx1 (= 1)")
    before = world(lib_old, bin_old)
    lib_new, bin_new = st("libx1", "2"), st("x-bin", "2", Depends="libx1 (= 2)")
    assert set(settle({"libx1": (lib_old, lib_new), "x-bin": (bin_old, bin_new)}, before, {})) == {
        "libx1",
        "x-bin",
    }
    # the binary's update refused (here: a new dependency) takes the library with it
    refused: dict[str, list[str]] = {}
    bad_bin = st("x-bin", "2", Depends="libx1 (= 2), libmissing")
    assert settle({"libx1": (lib_old, lib_new), "x-bin": (bin_old, bad_bin)}, before, refused) == {}
    assert "libmissing" in refused["x-bin"][0] and refused["libx1"] == [
        "installed x-bin depends on libx1 (= 1)"
    ]
