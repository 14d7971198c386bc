"""The hardening report from a real directory tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from hardbake.attest.hardening import HardeningReport, PathList, scan_rootfs


def _file(root: Path, rel: str, mode: int, data: bytes = b"x") -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    os.chmod(p, mode)


def test_scan_a_standard_like_tree(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    _file(root, "usr/bin/dash", 0o755)
    (root / "bin").mkdir(parents=True)
    (root / "bin/sh").symlink_to("/usr/bin/dash")  # absolute target: looked at, not followed
    _file(root, "usr/bin/apt-get", 0o755)
    _file(root, "usr/bin/passwd", 0o4755)
    _file(root, "usr/bin/python3", 0o755)
    _file(root, "usr/lib/x.so", 0o644)
    _file(
        root,
        "etc/passwd",
        0o644,
        b"root:x:0:0::/root:/bin/sh\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n",
    )
    r = scan_rootfs(root, "root")
    assert r.shells.paths == ["/bin/sh", "/usr/bin/dash"] and r.shells.count == 2
    assert r.package_managers.paths == ["/usr/bin/apt-get"]
    assert r.setuid_files.paths == ["/usr/bin/passwd"]
    assert r.executables.count == 4  # dash, apt-get, passwd, python3 (links are not files)
    assert r.user.uid == 0 and not r.user.non_root and not r.hardened
    named = scan_rootfs(root, "nonroot")
    assert named.user.uid == 65532 and named.user.non_root and not named.user.numeric


def test_hardened_tree(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    _file(root, "usr/bin/python3", 0o755)
    r = scan_rootfs(root, "65532")
    assert r.hardened and r.user.numeric
    pred = r.to_predicate()
    assert pred["setuidFiles"] == {"count": 0, "paths": []} and pred["user"]["nonRoot"] is True
    assert HardeningReport.model_validate(pred) == r
    schema = HardeningReport.model_json_schema(by_alias=True)
    assert {"shells", "packageManagers", "setuidFiles", "executables", "user"} <= set(schema["properties"])


def test_count_must_match_paths() -> None:
    with pytest.raises(ValidationError, match="disagrees"):
        PathList(count=2, paths=["/a"])
