"""Rebuild decisions: a published lock against the archive's lock now, and the reasons given."""

from __future__ import annotations

import hashlib

from hardbake.build.plan import ImageLock
from hardbake.debian.lock import ArchLock, LockedPackage
from hardbake.watch.changes import collapse, decide, diff_locks


def pkg(name: str, version: str, arch: str = "amd64", suite: str = "trixie", tag: str = "") -> LockedPackage:
    sha = hashlib.sha256(f"{name}{version}{arch}{tag}".encode()).hexdigest()
    return LockedPackage(name, version, arch, name, version, 1, 1, sha, f"pool/{name}.deb", suite, "debian")


def lock(
    pkgs: dict[str, list[LockedPackage]], spec: str = "sha256:" + "a" * 64, parent: ImageLock | None = None
) -> ImageLock:
    arches = {
        a: ArchLock(a, (("debian", "trixie"),), (), (), {}, tuple(sorted(ps, key=lambda p: p.name)), ())
        for a, ps in pkgs.items()
    }
    return ImageLock("img", "debian-13", spec, arches, parent)


def test_no_state_means_build() -> None:
    d = decide("img:1", None, lock({"amd64": [pkg("a", "1")]}))
    assert d.rebuild and d.reasons == ("not built yet (no state for this image)",)


def test_same_lock_is_unchanged() -> None:
    lk = lock({"amd64": [pkg("a", "1"), pkg("b", "2")]})
    d = decide("img:1", lk, lock({"amd64": [pkg("a", "1"), pkg("b", "2")]}))
    assert not d.rebuild and d.reasons == ("unchanged",) and d.changes == ()


def test_upgrade_added_removed_and_rebuilt_packages_are_reasons() -> None:
    old = lock({"amd64": [pkg("a", "1"), pkg("b", "2"), pkg("c", "1")], "arm64": [pkg("a", "1", "arm64")]})
    new = lock(
        {
            "amd64": [pkg("a", "1.1", suite="trixie-security"), pkg("c", "1", tag="binnmu"), pkg("d", "3")],
            "arm64": [pkg("a", "1.1", "arm64", suite="trixie-security")],
        }
    )
    changes = diff_locks(old, new)
    kinds = {(c.name, c.arch): c.kind for c in changes}
    assert kinds == {
        ("a", "amd64"): "upgraded",
        ("a", "arm64"): "upgraded",
        ("b", "amd64"): "removed",
        ("c", "amd64"): "rebuilt",
        ("d", "amd64"): "added",
    }
    # the same move on two architectures is one line
    assert [c.describe() for c in collapse(changes) if c.name == "a"] == ["a 1 -> 1.1 [trixie-security]"]
    d = decide("img:1", old, new)
    assert d.rebuild and "a 1 -> 1.1 [trixie-security]" in d.reasons[0] and "b 2 removed" in d.reasons[0]


def test_downgrade_is_named_as_such() -> None:
    changes = diff_locks(lock({"amd64": [pkg("a", "2")]}), lock({"amd64": [pkg("a", "1")]}))
    assert [c.kind for c in changes] == ["downgraded"]


def test_parent_changes_count_and_say_base_image() -> None:
    p_old, p_new = lock({"amd64": [pkg("libc", "1")]}), lock({"amd64": [pkg("libc", "2")]})
    old = lock({"amd64": [pkg("app", "1")]}, parent=p_old)
    new = lock({"amd64": [pkg("app", "1")]}, parent=p_new)
    d = decide("child:1", old, new)
    assert d.rebuild and "libc 1 -> 2 [trixie] (base image)" in d.reasons[0]
    assert d.changes[0].base


def test_spec_and_arch_changes_and_cascade() -> None:
    old = lock({"amd64": [pkg("a", "1")]})
    new = lock({"amd64": [pkg("a", "1")], "arm64": [pkg("a", "1", "arm64")]}, spec="sha256:" + "b" * 64)
    d = decide("img:1", old, new)
    assert any(r.startswith("spec changed") for r in d.reasons)
    assert any(r.startswith("architectures changed (amd64 -> amd64, arm64)") for r in d.reasons)
    cascade = decide("child:1", old, old, parent_rebuilding="base:1")
    assert cascade.rebuild and cascade.reasons == ("its base base:1 is being rebuilt",)


def test_long_change_lists_are_cut_in_the_reason_but_kept_in_changes() -> None:
    old = lock({"amd64": [pkg(f"p{i}", "1") for i in range(12)]})
    new = lock({"amd64": [pkg(f"p{i}", "2") for i in range(12)]})
    d = decide("img:1", old, new)
    assert "and 4 more" in d.reasons[0] and len(d.changes) == 12
    assert len(d.to_json()["changes"]) == 12
