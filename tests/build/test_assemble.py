"""Assembly from a real local repository: hostile packages are refused, emulation is right."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from hardbake.build.assemble import assemble
from hardbake.build.harden import HardeningError
from hardbake.build.rootfs import ContentError
from hardbake.spec.load import parse
from hardbake.testing.aptrepo import RepoSite
from hardbake.testing.debs import DebSpec, File, Member, build_raw_deb


def _spec(tmp: Path, packages: list[str], extra: str = "") -> object:
    allowed = "" if "allowed-programs" in extra else "allowed-programs: []\n"
    text = f"name: t\ndistro: debian-13\npackages: {packages}\n{allowed}{extra}"
    (tmp / "t.yaml").write_text(text)
    return parse(text, tmp / "t.yaml")


def _build(site: RepoSite, tmp: Path, packages: list[str], extra: str = ""):  # type: ignore[no-untyped-def]
    c = site.client()
    lock = c.lock(packages, ["trixie"], "amd64")
    c.fetch(lock.packages)
    return assemble(_spec(tmp, packages, extra), lock, c.cache)  # type: ignore[arg-type]


def _crafted(site: RepoSite, tmp: Path, name: str, members: list[Member]) -> None:
    spec = DebSpec(name)
    deb = build_raw_deb(spec, members, tmp / "crafted")
    site.repo.add_raw("trixie", spec, deb)


ATTACKS = {
    "dotdot": ([Member("./usr/../../etc/evil", data=b"x")], "'..' component"),
    "absolute": ([Member("/etc/evil", data=b"x")], "absolute path"),
    "through-symlink": (
        [
            Member("./usr/lib/evil", tarfile.SYMTYPE, linkname="/etc"),
            Member("./usr/lib/evil/passwd", data=b"x"),
        ],
        "through the symlink /usr/lib/evil",
    ),
    "escaping-symlink": (
        [
            Member("./usr/lib/up", tarfile.SYMTYPE, linkname="../../../../.."),
            Member("./usr/lib/up/x", data=b"x"),
        ],
        "through the symlink /usr/lib/up",
    ),
    "hardlink-outside": ([Member("./usr/bin/sh", tarfile.LNKTYPE, linkname="/etc/shadow")], "absolute path"),
    "hardlink-missing": (
        [Member("./usr/bin/x", tarfile.LNKTYPE, linkname="usr/bin/nothing")],
        "does not point at",
    ),
    "chardev": ([Member("./dev/mem", tarfile.CHRTYPE)], "character device"),
    "fifo": ([Member("./run/fifo", tarfile.FIFOTYPE)], "FIFO"),
    "replace-merged-usr": ([Member("./lib", data=b"not a link")], "merged-/usr link /lib"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_hostile_packages_are_refused(site: RepoSite, tmp_path: Path, attack: str) -> None:
    members, expected = ATTACKS[attack]
    _crafted(site, tmp_path, f"evil-{attack}", members)
    site.repo.publish("trixie")
    with pytest.raises(ContentError) as e:
        _build(site, tmp_path, [f"evil-{attack}"])
    assert f"package evil-{attack}" in e.value.message and expected in e.value.message


def test_disagreeing_duplicates_are_refused(site: RepoSite, tmp_path: Path) -> None:
    site.repo.add(
        "trixie",
        DebSpec("one", files={"/usr/share/x/conf": File(b"one")}),
        DebSpec("two", files={"/usr/share/x/conf": File(b"two")}),
        DebSpec("three", files={"/usr/share/x/conf": File(b"one")}),
    )
    site.repo.publish("trixie")
    with pytest.raises(ContentError) as e:
        _build(site, tmp_path, ["one", "two"])
    assert "conflicts with /usr/share/x/conf from package one" in e.value.message
    _build(site, tmp_path, ["one", "three"])  # identical content: fine


def test_merged_usr_relocation_and_emulation(site: RepoSite, tmp_path: Path) -> None:
    site.repo.add(
        "trixie",
        DebSpec(
            "legacy",
            files={
                "/bin/tool": File(b"\x7fELF", 0o755),
                "/lib/x86_64-linux-gnu/libold.so.1": File(b"lib"),
                "/usr/share/doc/legacy/copyright": File(b"GPL"),
                "/usr/share/doc/legacy/README": File(b"docs"),
                "/usr/share/man/man1/tool.1.gz": File(b"man"),
                "/usr/share/zoneinfo/Etc/UTC": File(b"TZif"),
            },
            postinst="#!/bin/sh\nupdate-alternatives --install /usr/bin/tool-alt tool-alt /usr/bin/tool 50\nrm -rf /\n",
        ),
    )
    site.repo.publish("trixie")
    a = _build(site, tmp_path, ["legacy"], "allowed-programs: [tool, tool-alt]\n")
    fs = a.fs
    assert fs.get("bin").kind == "symlink" and fs.get("bin").target == "usr/bin"  # type: ignore[union-attr]
    assert fs.get("usr/bin/tool").package == "legacy"  # type: ignore[union-attr]
    assert fs.get("usr/lib/x86_64-linux-gnu/libold.so.1") is not None
    assert fs.get("usr/share/doc/legacy/copyright") is not None
    assert fs.get("usr/share/doc/legacy/README") is None and fs.get("usr/share/man/man1/tool.1.gz") is None
    assert fs.get("usr/bin/tool-alt").target == "/etc/alternatives/tool-alt"  # type: ignore[union-attr]
    assert fs.get("etc/alternatives/tool-alt").target == "/usr/bin/tool"  # type: ignore[union-attr]
    assert fs.get("etc/localtime").target == "/usr/share/zoneinfo/Etc/UTC"  # type: ignore[union-attr]
    passwd = fs.get("etc/passwd").data.decode()  # type: ignore[union-attr]
    assert "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" in passwd
    assert "root:x:0:0:root:/root:/sbin/nologin" in passwd
    assert fs.get("home/nonroot").mode == 0o700 and fs.get("home/nonroot").uid == 65532  # type: ignore[union-attr]
    assert fs.get("tmp").mode == 0o1777 and fs.get("var/run").target == "/run"  # type: ignore[union-attr]
    status = fs.get("var/lib/dpkg/status.d/legacy").data.decode()  # type: ignore[union-attr]
    assert status.startswith("Package: legacy\n") and "Status:" not in status
    md5 = fs.get("var/lib/dpkg/status.d/legacy.md5sums").data.decode()  # type: ignore[union-attr]
    assert "  usr/bin/tool\n" in md5 and "README" not in md5
    osr = fs.get("usr/lib/os-release").data.decode()  # type: ignore[union-attr]
    assert 'ID="debian"' in osr and 'VERSION_ID="13"' in osr and "hardbake t" in osr
    assert a.user == "65532:65532"
    # the postinst was data, never run: the tree still has everything
    assert fs.get("usr/share/doc/legacy/copyright") is not None


def test_fully_filtered_package_is_not_claimed(site: RepoSite, tmp_path: Path) -> None:
    site.repo.add(
        "trixie",
        DebSpec("docsonly", files={"/usr/share/man/man1/x.1.gz": File(b"m")}),
        DebSpec("app", depends="docsonly"),
    )
    site.repo.publish("trixie")
    a = _build(site, tmp_path, ["app"])
    states = {p.name: p.state for p in a.presence}
    assert states["docsonly"] == "excluded"
    assert "docsonly" not in a.recorded and a.fs.get("var/lib/dpkg/status.d/docsonly") is None


def test_runtime_hardening_is_enforced(site: RepoSite, tmp_path: Path) -> None:
    site.repo.add(
        "trixie",
        DebSpec(
            "shelly",
            files={
                "/bin/sh": File(b"sh", 0o755),
                "/usr/bin/su": File(b"su", 0o4755),
                "/usr/bin/perl": File(b"p", 0o755),
            },
        ),
    )
    site.repo.publish("trixie")
    with pytest.raises(HardeningError) as e:
        _build(site, tmp_path, ["shelly"])
    msg = e.value.message
    assert "[shell] /usr/bin/sh" in msg and "[setuid] /usr/bin/su" in msg and "[program] /usr/bin/perl" in msg
    # a named exemption waives exactly that rule, and the report keeps it
    a = _build(
        site,
        tmp_path,
        ["shelly"],
        "allowed-programs: [perl, su]\nhardening:\n  exemptions:\n"
        "    - {rule: shell, reason: legacy entrypoint script}\n    - {rule: setuid, reason: test only}\n",
    )
    assert [v.rule for v, _ in a.hardening.waived] == ["shell", "setuid"]
    assert a.hardening.report.shells.paths == ["/usr/bin/sh"]
