"""Users and groups, as base-passwd and adduser would have made them (without running them).

The image gets /etc/passwd, /etc/group and a locked /etc/shadow holding root, nobody/nogroup,
the `nonroot` user (uid/gid 65532, home /home/nonroot 0700, shell /sbin/nologin — the
distroless convention) and whatever the spec adds. Every shell is /sbin/nologin: nothing in
a runtime image should offer a login.

Ownership inside .debs is given by name (tar uname/gname); `name_map` turns those names into
ids with base-passwd's static allocation, so files like `root:shadow` keep Debian's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardbake.errors import InputError
from hardbake.spec.model import Accounts

NONROOT = 65532
NOBODY = 65534

# base-passwd's static allocation (group.master / passwd.master)
STATIC_GROUPS = {
    "root": 0, "daemon": 1, "bin": 2, "sys": 3, "adm": 4, "tty": 5, "disk": 6, "lp": 7, "mail": 8,
    "news": 9, "uucp": 10, "man": 12, "proxy": 13, "kmem": 15, "dialout": 20, "fax": 21, "voice": 22,
    "cdrom": 24, "floppy": 25, "tape": 26, "sudo": 27, "audio": 29, "dip": 30, "www-data": 33,
    "backup": 34, "operator": 37, "list": 38, "irc": 39, "src": 40, "shadow": 42, "utmp": 43,
    "video": 44, "sasl": 45, "plugdev": 46, "staff": 50, "games": 60, "users": 100, "nogroup": NOBODY,
}  # fmt: skip
STATIC_USERS = {
    "root": 0, "daemon": 1, "bin": 2, "sys": 3, "sync": 4, "games": 5, "man": 6, "lp": 7, "mail": 8,
    "news": 9, "uucp": 10, "proxy": 13, "www-data": 33, "backup": 34, "list": 38, "irc": 39, "nobody": NOBODY,
}  # fmt: skip


@dataclass(frozen=True)
class UserEntry:
    name: str
    uid: int
    gid: int
    home: str
    shell: str = "/sbin/nologin"
    gecos: str = ""

    def line(self) -> str:
        return f"{self.name}:x:{self.uid}:{self.gid}:{self.gecos or self.name}:{self.home}:{self.shell}"


@dataclass(frozen=True)
class GroupEntry:
    name: str
    gid: int
    members: tuple[str, ...] = ()

    def line(self) -> str:
        return f"{self.name}:x:{self.gid}:{','.join(self.members)}"


@dataclass(frozen=True)
class AccountDB:
    users: tuple[UserEntry, ...]
    groups: tuple[GroupEntry, ...]

    def user(self, ref: str) -> UserEntry:
        for u in self.users:
            if ref in (u.name, str(u.uid)):
                return u
        raise InputError(f"run-as user {ref!r} is not defined", hint="add it under accounts.users")

    def passwd(self) -> str:
        return "".join(u.line() + "\n" for u in self.users)

    def group(self) -> str:
        return "".join(g.line() + "\n" for g in self.groups)

    def shadow(self, epoch: int) -> str:
        days = epoch // 86400
        # '*': no password can ever match (locked); no account expiry
        return "".join(f"{u.name}:*:{days}:0:99999:7:::\n" for u in self.users)

    def gshadow(self) -> str:
        return "".join(f"{g.name}:*::{','.join(g.members)}\n" for g in self.groups)


def build(accounts: Accounts, extra_groups: set[str] = frozenset(), *, system: bool = False) -> AccountDB:  # type: ignore[assignment]
    """The account database of an image: defaults + spec + groups the files need.

    `system` (dev variants): base-passwd's whole static set plus apt's `_apt` user, as a
    Debian system has them, since packages installed later expect them. Root keeps a real
    shell there: a dev image is a build environment.
    """
    users: dict[str, UserEntry] = {
        "root": UserEntry("root", 0, 0, "/root", "/bin/bash" if system else "/sbin/nologin"),
        "nobody": UserEntry("nobody", NOBODY, NOBODY, "/nonexistent"),
        "nonroot": UserEntry("nonroot", NONROOT, NONROOT, "/home/nonroot"),
    }
    groups: dict[str, GroupEntry] = {
        "root": GroupEntry("root", 0),
        "nogroup": GroupEntry("nogroup", NOBODY),
        "nonroot": GroupEntry("nonroot", NONROOT),
    }
    if system:
        for name, uid in STATIC_USERS.items():
            users.setdefault(
                name,
                UserEntry(
                    name,
                    uid,
                    STATIC_GROUPS.get(name, NOBODY),
                    f"/var/lib/{name}" if uid else "/root",
                    "/usr/sbin/nologin",
                ),
            )
        users["_apt"] = UserEntry("_apt", 42, NOBODY, "/nonexistent", "/usr/sbin/nologin")
        for name, gid in STATIC_GROUPS.items():
            groups.setdefault(name, GroupEntry(name, gid))
    for g in sorted(extra_groups):
        if g in STATIC_GROUPS and g not in groups:
            groups[g] = GroupEntry(g, STATIC_GROUPS[g])
    for sg in accounts.groups:
        groups[sg.name] = GroupEntry(sg.name, sg.gid, tuple(sg.members))
    for su in accounts.users:
        gid = su.gid if su.gid is not None else su.uid
        if su.gid is None and su.name not in groups:
            groups[su.name] = GroupEntry(su.name, gid)
        users[su.name] = UserEntry(su.name, su.uid, gid, su.home or f"/home/{su.name}", su.shell)
    _unique("uid", [(u.name, u.uid) for u in users.values()])
    _unique("gid", [(g.name, g.gid) for g in groups.values()])
    return AccountDB(
        tuple(sorted(users.values(), key=lambda u: u.uid)),
        tuple(sorted(groups.values(), key=lambda g: g.gid)),
    )


def _unique(what: str, pairs: list[tuple[str, int]]) -> None:
    seen: dict[int, str] = {}
    for name, i in pairs:
        if i in seen and seen[i] != name:
            raise InputError(f"accounts: {what} {i} is used by both {seen[i]!r} and {name!r}")
        seen[i] = name


def name_map(db: AccountDB) -> dict[str, int]:
    """'u:NAME' / 'g:NAME' -> id, for mapping tar ownership names (image first, then static)."""
    m = {f"u:{k}": v for k, v in STATIC_USERS.items()} | {f"g:{k}": v for k, v in STATIC_GROUPS.items()}
    m.update({f"u:{u.name}": u.uid for u in db.users})
    m.update({f"g:{g.name}": g.gid for g in db.groups})
    return m
