"""The small system files an installer and maintainer scripts would have written.

Each function is one emulated effect, applied to the tree with the build's SOURCE_DATE_EPOCH
as mtime: accounts (base-passwd/adduser), nsswitch.conf, os-release (base-files, with
hardbake's name in PRETTY_NAME), the time zone (tzdata's postinst: UTC), /tmp and /run.
"""

from __future__ import annotations

from hardbake.build.accounts import AccountDB
from hardbake.build.rootfs import Node, RootFS
from hardbake.distro import Distro

NSSWITCH = """\
passwd:         files
group:          files
shadow:         files
gshadow:        files
hosts:          files dns
networks:       files
protocols:      files
services:       files
ethers:         files
rpc:            files
netgroup:       files
"""


def _file(
    fs: RootFS, path: str, text: str | bytes, mtime: int, mode: int = 0o644, uid: int = 0, gid: int = 0
) -> None:
    data = text.encode() if isinstance(text, str) else text
    fs.remove(path)
    fs.put(Node(path, "file", mode, uid, gid, mtime, data=data))


def _dir(fs: RootFS, path: str, mode: int, mtime: int, uid: int = 0, gid: int = 0) -> None:
    old = fs.get(path)
    if old is not None and old.kind == "dir":
        fs.replace_node(path, mode=mode, uid=uid, gid=gid)
        return
    fs.remove(path)
    fs.put(Node(path, "dir", mode, uid, gid, mtime))


def _link(fs: RootFS, path: str, target: str, mtime: int) -> None:
    fs.remove(path)
    fs.put(Node(path, "symlink", 0o777, mtime=mtime, target=target))


def accounts(fs: RootFS, db: AccountDB, mtime: int) -> None:
    _file(fs, "etc/passwd", db.passwd(), mtime)
    _file(fs, "etc/group", db.group(), mtime)
    # readable by root only, like Debian's shadow (0640 root:shadow without a shadow group)
    _file(fs, "etc/shadow", db.shadow(mtime), mtime, 0o640)
    _file(fs, "etc/gshadow", db.gshadow(), mtime, 0o640)
    for u in db.users:
        if u.home.startswith("/home/"):
            _dir(fs, "home", 0o755, mtime)
            _dir(fs, u.home.strip("/"), 0o700, mtime, u.uid, u.gid)
    _dir(fs, "root", 0o700, mtime)


def nsswitch(fs: RootFS, mtime: int) -> None:
    if not fs.exists("etc/nsswitch.conf"):
        _file(fs, "etc/nsswitch.conf", NSSWITCH, mtime)


def os_release(fs: RootFS, distro: Distro, image_name: str, extra: dict[str, str], mtime: int) -> str:
    """usr/lib/os-release (etc/os-release links to it). ID=debian keeps scanners' purls right."""
    pretty = f"hardbake {image_name} (Debian GNU/Linux {distro.version} ({distro.codename}))"
    fields = {
        "PRETTY_NAME": pretty,
        "NAME": "Debian GNU/Linux",
        "VERSION_ID": distro.version,
        "VERSION": f"{distro.version} ({distro.codename})",
        "VERSION_CODENAME": distro.codename,
        "ID": "debian",
        "HOME_URL": "https://www.debian.org/",
        "SUPPORT_URL": "https://www.debian.org/support",
        "BUG_REPORT_URL": "https://bugs.debian.org/",
        "VARIANT": "hardbake",
        "VARIANT_ID": "hardbake",
    }
    fields.update(extra)
    text = "".join(f'{k}="{v}"\n' for k, v in fields.items())
    _file(fs, "usr/lib/os-release", text, mtime)
    _link(fs, "etc/os-release", "../usr/lib/os-release", mtime)
    return text


def timezone(fs: RootFS, mtime: int) -> None:
    """tzdata's postinst with no debconf answer: UTC."""
    if fs.resolve("usr/share/zoneinfo/Etc/UTC") is not None:
        _link(fs, "etc/localtime", "/usr/share/zoneinfo/Etc/UTC", mtime)
        _file(fs, "etc/timezone", "Etc/UTC\n", mtime)


def runtime_dirs(fs: RootFS, mtime: int) -> None:
    _dir(fs, "tmp", 0o1777, mtime)
    _dir(fs, "run", 0o755, mtime)
    _dir(fs, "var", 0o755, mtime)
    _dir(fs, "var/tmp", 0o1777, mtime)
    _link(fs, "var/run", "/run", mtime)
    # as on any booted Debian system: /var/lock is /run/lock (a world-writable lock dir in
    # the image would be writable by the runtime user outside the declared directories)
    _link(fs, "var/lock", "/run/lock", mtime)
    _dir(fs, "etc", 0o755, mtime)
