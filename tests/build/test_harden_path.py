"""The hardening gate looks in every directory of the image's PATH, not only the standard ones:
a spec cannot hide a shell by putting it in a directory it adds to PATH."""

from __future__ import annotations

from hardbake.build import harden
from hardbake.build.rootfs import Node, RootFS


def _fs() -> RootFS:
    fs = RootFS()
    for d in ("usr", "usr/bin", "opt", "opt/tools", "opt/tools/bin"):
        fs.put(Node(d, "dir", 0o755, 0, 0, 1))
    fs.put(Node("usr/bin/server", "file", 0o755, 0, 0, 1, data=b"\x7fELF"))
    fs.put(Node("opt/tools/bin/sh", "file", 0o755, 0, 0, 1, data=b"\x7fELF"))
    return fs


def test_path_dirs_add_the_image_path() -> None:
    assert harden.path_dirs("/usr/bin:/opt/tools/bin:relative") == (*harden.PATH_DIRS, "opt/tools/bin")
    assert harden.path_dirs(None) == harden.PATH_DIRS


def test_a_shell_in_an_added_path_dir_is_found() -> None:
    args = {"user": "65532:65532", "uid": 65532, "writable": [], "exemptions": [], "runtime": True}
    hidden = harden.check(_fs(), allowed_programs=["server"], **args)  # type: ignore[arg-type]
    assert not hidden.violations  # the standard PATH alone does not see /opt/tools/bin
    found = harden.check(
        _fs(),
        allowed_programs=["server"],
        path_env="/usr/local/bin:/usr/bin:/opt/tools/bin",
        **args,  # type: ignore[arg-type]
    )
    assert [v.rule for v in found.violations] == ["shell"]
    assert "/opt/tools/bin/sh" in found.programs
