"""Laying a new .deb over an image: paths through the image's links, whiteouts, conffiles, refusals."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from hardbake.oci import BlobStore
from hardbake.oci.filesystem import Filesystem
from hardbake.oci.layer import write_layers
from hardbake.oci.tarentry import Kind, TarEntry
from hardbake.patch.dpkgdb import Installed, Stanza
from hardbake.patch.layer import PatchContentError, clean, resolve, unpack
from hardbake.testing.debs import DebSpec, Member, _ar, _tar
from hardbake.testing.images import image_of

OLD_CONF = b"level = 1\n"


def image(tmp: Path, extra: list[TarEntry] = ()) -> Filesystem:  # type: ignore[assignment]
    entries = [
        TarEntry.dir("usr"), TarEntry.dir("usr/bin"), TarEntry.dir("usr/lib"), TarEntry.dir("etc"),
        TarEntry.symlink("bin", "usr/bin"), TarEntry.symlink("lib", "/usr/lib"),
        TarEntry.symlink("up", "../../../.."), TarEntry.symlink("loop", "loop"),
        TarEntry.dir("usr/share"), TarEntry.dir("usr/share/foo"),
        TarEntry.file("usr/share/foo/old-only", b"old"), TarEntry.file("usr/share/foo/shared", b"s"),
        TarEntry.file("etc/foo.conf", b"level = 9  # mine\n"), TarEntry.file("etc/other.conf", OLD_CONF),
        TarEntry.dir("usr/share/doc"),
        *extra,
    ]  # fmt: skip
    (layer,) = write_layers([entries], BlobStore(tmp / "blobs"))
    return Filesystem.scan(image_of([layer]))


def deb(tmp: Path, members: list[Member], *, conffiles: str = "") -> Path:
    control = [Member("./control", data=DebSpec("foo", "2.0-1").control().encode())]
    if conffiles:
        control.append(Member("./conffiles", data=conffiles.encode()))
    out = tmp / "foo_2.0-1_amd64.deb"
    out.write_bytes(
        _ar([("debian-binary", b"2.0\n"), ("control.tar.gz", _tar(control)), ("data.tar.gz", _tar(members))])
    )
    return out


def installed() -> Installed:
    md5 = hashlib.md5(OLD_CONF).hexdigest()
    conf = f"\n /etc/foo.conf {md5}\n /etc/other.conf {md5}"
    return Installed(
        Stanza((("Package", "foo"), ("Version", "1.0-1"), ("Architecture", "amd64"), ("Conffiles", conf))),
        "var/lib/dpkg/status",
    )


def test_paths_follow_the_images_links_and_never_leave_it(tmp_path: Path) -> None:
    fs = image(tmp_path)
    assert resolve(fs, "bin/foo") == "usr/bin/foo"
    assert resolve(fs, "lib/x86_64-linux-gnu/libfoo.so.1") == "usr/lib/x86_64-linux-gnu/libfoo.so.1"
    assert resolve(fs, "up/etc/passwd") == "etc/passwd"  # '..' stops at the image's root
    assert resolve(fs, "bin") == "bin"  # the last component itself is not followed
    with pytest.raises(PatchContentError, match="too many links"):
        resolve(fs, "loop/x")
    for bad in ("/etc/passwd", "usr/../../etc/passwd"):
        with pytest.raises(PatchContentError):
            clean(bad)


def test_unpack_relocates_whites_out_and_keeps_changed_conffiles(tmp_path: Path) -> None:
    fs = image(tmp_path)
    d = deb(tmp_path, [
        Member("./bin", tarfile.DIRTYPE, mode=0o755), Member("./bin/foo", data=b"\x7fELF v2", mode=0o755),
        Member("./bin/foo-alias", tarfile.LNKTYPE, linkname="./bin/foo"),
        Member("./bin/foo-link", tarfile.SYMTYPE, linkname="foo"),
        Member("./etc", tarfile.DIRTYPE, mode=0o755), Member("./etc/foo.conf", data=b"level = 2\n"),
        Member("./etc/other.conf", data=b"level = 2\n"),
        Member("./usr/share/foo", tarfile.DIRTYPE, mode=0o755), Member("./usr/share/foo/new", data=b"new"),
        Member("./usr/share/foo/shared", data=b"s2"),
    ], conffiles="/etc/foo.conf\n/etc/other.conf\n")  # fmt: skip
    pp = unpack(installed(), d, fs, old_paths=["/bin", "/usr/share/foo/old-only", "/usr/share/foo/shared",
                                                "/usr/share/foo", "/etc/foo.conf"],
                owners={"usr/share/foo/shared": {"foo"}},
                image_md5={"etc/foo.conf": hashlib.md5(b"level = 9  # mine\n").hexdigest(),
                           "etc/other.conf": hashlib.md5(OLD_CONF).hexdigest()}, diversions={})  # fmt: skip
    assert pp.problems == []
    by = {e.path: e for e in pp.entries}
    assert by["usr/bin/foo"].kind is Kind.FILE and by["usr/bin/foo"].mode == 0o755
    assert by["usr/bin/foo-alias"].kind is Kind.HARDLINK and by["usr/bin/foo-alias"].linkname == "usr/bin/foo"
    assert by["usr/bin/foo-link"].linkname == "foo"
    assert (
        "bin" not in by and "etc" not in by and "usr/share/foo" not in by
    )  # the image's dirs and links stay
    assert pp.kept_conffiles == ["/etc/foo.conf"] and "etc/foo.conf" not in by  # changed locally: kept
    assert by["etc/other.conf"].data == b"level = 2\n"  # unchanged locally: the new default
    assert pp.whiteouts == ["usr/share/foo/old-only"]
    assert (
        "/bin/foo" in pp.archive_paths
        and pp.archive_md5["etc/foo.conf"] == hashlib.md5(b"level = 2\n").hexdigest()
    )


def test_unpack_refuses_what_a_layer_cannot_carry(tmp_path: Path) -> None:
    fs = image(tmp_path, [TarEntry.dir("usr/share/foo/adir"), TarEntry.file("usr/share/foo/theirs", b"t")])
    d = deb(tmp_path, [
        Member("./dev", tarfile.DIRTYPE, mode=0o755), Member("./dev/foo", tarfile.CHRTYPE),
        Member("./usr/share/foo/adir", data=b"file where a dir is"),
        Member("./usr/share/foo/theirs", data=b"mine now"),
        Member("./usr/bin/diverted", data=b"x"),
        Member("./usr/bin/hl", tarfile.LNKTYPE, linkname="./usr/bin/absent"),
    ])  # fmt: skip
    pp = unpack(installed(), d, fs, old_paths=[], owners={"usr/share/foo/theirs": {"bar"}}, image_md5={},
                diversions={"/usr/bin/diverted": ("/usr/bin/diverted.real", "baz")})  # fmt: skip
    text = "\n".join(pp.problems)
    assert "/dev/foo is a character device" in text
    assert "/usr/share/foo/adir is a file in the package but a directory in the image" in text
    assert "/usr/share/foo/theirs also belongs to bar (no Replaces)" in text
    assert "/usr/bin/diverted is diverted by baz" in text
    assert "hard link to './usr/bin/absent'" in text


def test_trimmed_images_stay_trimmed(tmp_path: Path) -> None:
    fs = image(tmp_path)
    d = deb(tmp_path, [
        Member("./usr/share/doc/foo/changelog.Debian.gz", data=b"x"),
        Member("./usr/share/doc/foo/copyright", data=b"c"),
        Member("./usr/share/man/man1/foo.1.gz", data=b"m"),
        Member("./usr/bin/foo", data=b"b", mode=0o755),
    ])  # fmt: skip
    pp = unpack(installed(), d, fs, old_paths=[], owners={}, image_md5={}, diversions={}, trimmed=True)
    assert sorted(e.path for e in pp.entries) == ["usr/bin/foo", "usr/share/doc/foo/copyright"]
    full = unpack(installed(), d, fs, old_paths=[], owners={}, image_md5={}, diversions={})
    assert len(full.entries) == 4
