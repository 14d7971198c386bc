"""hardbake's hardening report predicate (`https://hardbake.dev/attestations/hardening/v1`).

What a reviewer asks of a runtime image, with counts and the lists behind them: shells,
package managers, setuid/setgid files, executables, and the user the image runs as. The
pydantic model is the schema (`HardeningReport.model_json_schema()`); `scan_rootfs` fills
it from an unpacked root filesystem without following any link out of it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hardbake import __version__
from hardbake.attest.predicates import HARDENING

PREDICATE_TYPE = HARDENING

#: Program names that are command interpreters a shell-less image must not have.
SHELLS = frozenset(
    {"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox", "rbash"}
)
#: Program names that install or change packages at run time.
PACKAGE_MANAGERS = frozenset(
    {"apt", "apt-get", "aptitude", "dpkg", "dpkg-deb", "apk", "yum", "dnf", "rpm", "microdnf", "pip", "pip3",
     "npm", "yarn", "pnpm", "gem"}
)  # fmt: skip
_BIN_DIRS = ("bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin", "usr/local/sbin")


class PathList(BaseModel):
    """A count and the sorted absolute paths it counts (count == len(paths))."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    count: int = Field(ge=0)
    paths: list[str]

    @model_validator(mode="after")
    def _consistent(self) -> PathList:
        if self.count != len(self.paths):
            raise ValueError(f"count {self.count} disagrees with {len(self.paths)} paths")
        return self

    @classmethod
    def of(cls, paths: list[str]) -> PathList:
        ps = sorted(set(paths))
        return cls(count=len(ps), paths=ps)


class RunUser(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    user: str = Field(description="the image config's User, as written")
    uid: int | None = Field(None, description="numeric uid, when User is or resolves to one")
    non_root: bool = Field(alias="nonRoot")
    numeric: bool = Field(description="User is numeric (what kubelet's runAsNonRoot needs)")


class HardeningReport(BaseModel):
    """The predicate body."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    tool: dict[str, str] = Field(default_factory=lambda: {"name": "hardbake", "version": __version__})
    shells: PathList
    package_managers: PathList = Field(alias="packageManagers")
    setuid_files: PathList = Field(alias="setuidFiles", description="setuid or setgid regular files")
    executables: PathList
    user: RunUser

    @property
    def hardened(self) -> bool:
        """The runtime-image invariants: no shell, no package manager, no setuid, non-root."""
        return (
            self.shells.count == 0
            and self.package_managers.count == 0
            and self.setuid_files.count == 0
            and self.user.non_root
        )

    def to_predicate(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


def _run_user(user: str, passwd: Path) -> RunUser:
    name = user.split(":", 1)[0] or "root"
    uid: int | None = int(name) if name.isdigit() else None
    if uid is None and passwd.is_file() and not passwd.is_symlink():
        for line in passwd.read_text(errors="replace").splitlines():
            fields = line.split(":")
            if len(fields) >= 3 and fields[0] == name and fields[2].isdigit():
                uid = int(fields[2])
    non_root = uid is not None and uid != 0
    return RunUser.model_validate({"user": user, "uid": uid, "nonRoot": non_root, "numeric": name.isdigit()})


def scan_rootfs(root: Path, user: str) -> HardeningReport:
    """Inspect an unpacked rootfs (links are looked at, never followed)."""
    root = Path(root)
    shells: list[str] = []
    managers: list[str] = []
    setuid: list[str] = []
    executables: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = PurePosixPath("/") / Path(dirpath).relative_to(root).as_posix()
        in_bin = str(rel_dir).lstrip("/") in _BIN_DIRS
        for name in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            path = Path(dirpath) / name
            st = path.lstat()
            abs_path = str(rel_dir / name)
            if in_bin and (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                if name in SHELLS:
                    shells.append(abs_path)
                if name in PACKAGE_MANAGERS:
                    managers.append(abs_path)
            if stat.S_ISREG(st.st_mode):
                if st.st_mode & (stat.S_ISUID | stat.S_ISGID):
                    setuid.append(abs_path)
                if st.st_mode & 0o111:
                    executables.append(abs_path)
    return HardeningReport.model_validate(
        {
            "shells": PathList.of(shells),
            "packageManagers": PathList.of(managers),
            "setuidFiles": PathList.of(setuid),
            "executables": PathList.of(executables),
            "user": _run_user(user, root / "etc" / "passwd"),
        }
    )
