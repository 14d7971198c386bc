"""A Debian 12 system image with a deliberately old package, and the archive that fixes it.

The base is a standard minbase bookworm (mmdebstrap from the machine's mirror, cached in the
engine by `testing.standard`). Old versions of the test packages are installed into it by
the image's own dpkg (`docker run ... dpkg -i` then `docker commit`): the result is exactly
what a `FROM debian:12` + `dpkg -i` user has, maintainer-script records and all. The local
signed archive (suites bookworm, bookworm-updates, bookworm-security) then offers:

* `hbdemo` 1.0-1+deb12u1 in bookworm-security: a Debian 12 style package (`./bin/hbdemo`,
  relocated through the image's merged-/usr link), a changed message, one file dropped
  (whiteout), one added, a conffile whose default changed, a harmless postinst, and a
  changelog naming CVE-2099-4242;
* `hbneeds` 1.1-1: now depends on a package the image lacks (refused);
* `hbscript` 1.1-1: a postinst that runs `adduser` (refused).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from hardbake.testing.aptrepo import AptRepo, SigningKey
from hardbake.testing.debs import DebSpec, File, build_deb
from hardbake.testing.standard import Standard, ensure
from hardbake.testing.watchlab import HBRUN, changelog

MINBASE = Standard("standard/minbase:bookworm", "bookworm", ())
CVE = "CVE-2099-4242"
HARMLESS_POSTINST = '#!/bin/sh\nset -e\nif [ "$1" = "configure" ]; then\n    ldconfig\nfi\nexit 0\n'


def hbdemo(version: str, binary: bytes, *, new: bool) -> DebSpec:
    files = {
        "/bin/hbdemo": File(binary, 0o755),
        "/usr/share/hbdemo/message": File(f"hbdemo {version}\n".encode()),
        "/etc/hbdemo.conf": File(b"level = 2\n" if new else b"level = 1\n"),
        "/usr/share/doc/hbdemo/copyright": File(b"Public domain test data.\n"),
        "/usr/share/doc/hbdemo/changelog.Debian.gz": File(
            changelog("hbdemo", [(version, (CVE,)), ("1.0-1", ())] if new else [("1.0-1", ())])
        ),
    }
    if new:
        files["/usr/share/hbdemo/added-in-fix"] = File(b"new\n")
    else:
        files["/usr/share/hbdemo/dropped-in-fix"] = File(b"old\n")
    return DebSpec(
        "hbdemo",
        version,
        depends="libc6",
        files=files,
        postinst=HARMLESS_POSTINST,
    )


def conffiles_deb(spec: DebSpec, out: Path) -> Path:
    """dpkg-deb with /etc/hbdemo.conf declared a conffile (debhelper does this for /etc)."""
    import subprocess
    import tempfile

    deb = build_deb(spec, out)
    with tempfile.TemporaryDirectory() as t:
        subprocess.run(["dpkg-deb", "-R", str(deb), t], check=True, capture_output=True)
        (Path(t) / "DEBIAN" / "conffiles").write_text("/etc/hbdemo.conf\n")
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zgzip", "-b", t, str(deb)], check=True, capture_output=True
        )
    return deb


def old_packages(binary: bytes) -> list[DebSpec]:
    return [
        hbdemo("1.0-1", binary, new=False),
        DebSpec("hbneeds", "1.0-1", files={"/usr/share/hbneeds/x": File(b"1\n")}),
        DebSpec("hbscript", "1.0-1", files={"/usr/share/hbscript/x": File(b"1\n")}),
    ]


def fixed_packages(binary: bytes) -> list[DebSpec]:
    return [
        hbdemo("1.0-1+deb12u1", binary, new=True),
        DebSpec("hbneeds", "1.1-1", depends="hbmissing", files={"/usr/share/hbneeds/x": File(b"2\n")}),
        DebSpec(
            "hbscript",
            "1.1-1",
            files={"/usr/share/hbscript/x": File(b"2\n")},
            postinst="#!/bin/sh\nset -e\nadduser --system hbscript\n",
        ),
    ]


def archive(root: Path, key: SigningKey, binary: bytes) -> tuple[AptRepo, AptRepo, list[Path]]:
    """The bookworm archive with the fixes published; returns the old .debs to install too."""
    debian, security = AptRepo(root / "www" / "debian", key), AptRepo(root / "www" / "debian-security", key)
    old = []
    for spec in old_packages(binary):
        deb = conffiles_deb(spec, root / "old") if spec.name == "hbdemo" else build_deb(spec, root / "old")
        debian.add_raw("bookworm", spec, deb)
        old.append(deb)
    for spec in fixed_packages(binary):
        deb = conffiles_deb(spec, root / "new") if spec.name == "hbdemo" else build_deb(spec, root / "new")
        security.add_raw("bookworm-security", spec, deb)
    debian.publish("bookworm", archs=("amd64",))
    debian.publish("bookworm-updates", archs=("amd64",))
    security.publish("bookworm-security", archs=("amd64",))
    return debian, security, old


def installed_image(engine: Any, debs: list[Path], tag: str, *, modify_conffile: bool = True) -> str:
    """minbase bookworm + `dpkg -i` of `debs` (by the image's own dpkg), committed as `tag`."""
    base = ensure(MINBASE, engine)
    names = " ".join(f"/hbdebs/{d.name}" for d in debs)
    script = f"dpkg -i {names}" + (
        " && echo 'level = 9  # mine' > /etc/hbdemo.conf" if modify_conffile else ""
    )
    directory = debs[0].parent
    container = engine.containers.run(
        base,
        ["sh", "-c", script],
        volumes={str(directory): {"bind": "/hbdebs", "mode": "ro"}},
        network_mode="none",
        detach=True,
        labels={"hardbake.test": "patchlab"},
    )
    try:
        code = container.wait(timeout=120)["StatusCode"]
        if code != 0:
            raise RuntimeError(f"dpkg -i failed ({code}): {container.logs().decode()[-2000:]}")
        repo, _, t = tag.partition(":")
        container.commit(repository=repo, tag=t or "latest", changes=['CMD ["hbdemo"]'])
    finally:
        with contextlib.suppress(Exception):
            container.remove(force=True)
    return tag


__all__ = ["CVE", "HBRUN", "MINBASE", "archive", "installed_image"]
