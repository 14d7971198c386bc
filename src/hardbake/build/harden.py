"""Runtime hardening, enforced and reported.

A runtime image has no shell, no package manager, no program on PATH beyond the spec's
allow-list, no setuid/setgid file, nothing writable by its user outside the directories the
spec declares, and a numeric non-root USER. Each rule can be waived only by a named
exemption in the spec, and the report lists everything it looked at, waived or not.
The report's predicate form is `hardbake.attest.hardening.HardeningReport`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from hardbake.attest.hardening import PACKAGE_MANAGERS, SHELLS, HardeningReport, PathList, RunUser
from hardbake.build.rootfs import RootFS
from hardbake.errors import InputError
from hardbake.spec.model import Exemption

PATH_DIRS = ("usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Violation:
    rule: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.path}: {self.detail}"


@dataclass(frozen=True)
class Hardening:
    report: HardeningReport
    programs: tuple[str, ...]  # every program on PATH, absolute paths
    violations: tuple[Violation, ...]
    waived: tuple[tuple[Violation, str], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        d = self.report.to_predicate()
        d["programsOnPath"] = PathList.of(list(self.programs)).model_dump()
        d["violations"] = [v.__dict__ for v in self.violations]
        d["exemptions"] = [{**v.__dict__, "reason": r} for v, r in self.waived]
        return d


class HardeningError(InputError):
    pass


def path_dirs(path_env: str | None) -> tuple[str, ...]:
    """The directories a search of PATH looks in: the standard ones plus any the image's own PATH
    adds (e.g. /usr/lib/postgresql/17/bin), so a spec cannot hide a program by extending PATH."""
    extra = [d.strip("/") for d in (path_env or "").split(":") if d.startswith("/") and d.strip("/")]
    return tuple(dict.fromkeys([*PATH_DIRS, *extra]))


def _programs(fs: RootFS, dirs: tuple[str, ...] = PATH_DIRS) -> list[tuple[str, str]]:
    """(absolute path, program name) of every executable on PATH, through links inside the image."""
    out: dict[str, tuple[str, str]] = {}
    for d in dirs:
        real_dir = fs.resolve(d)
        if real_dir is None or real_dir.kind != "dir":
            continue
        for child in fs.children(real_dir.path):
            name = posixpath.basename(child.path)
            target = fs.resolve(child.path) if child.kind == "symlink" else child
            if target is None or target.kind not in ("file", "hardlink") or not target.mode & 0o111:
                continue
            out.setdefault("/" + child.path, ("/" + child.path, name))
    return sorted(out.values())


def check(
    fs: RootFS,
    *,
    user: str,
    uid: int,
    writable: list[str],
    allowed_programs: list[str] | None,
    exemptions: list[Exemption],
    runtime: bool,
    path_env: str | None = None,
) -> Hardening:
    progs = _programs(fs, path_dirs(path_env))
    shells = [p for p, n in progs if n in SHELLS or n.startswith("busybox")]
    managers = [p for p, n in progs if n in PACKAGE_MANAGERS]
    setuid = ["/" + n.path for n in fs.tree.values() if n.kind in ("file", "hardlink") and n.mode & 0o6000]
    executables = [
        "/" + n.path for n in fs.tree.values() if n.kind in ("file", "hardlink") and n.mode & 0o111
    ]
    allowed_dirs = ["/tmp", "/var/tmp", *writable]  # noqa: S108 - paths inside the image, not on this host
    writable_found = []
    for n in fs.tree.values():
        p = "/" + n.path
        if any(p == d or p.startswith(d.rstrip("/") + "/") for d in allowed_dirs):
            continue
        if n.kind == "symlink":
            continue
        if n.mode & 0o002 or (n.uid == uid and uid != 0 and n.mode & 0o200):
            writable_found.append(p)
    violations: list[Violation] = []
    if runtime:
        violations += [Violation("shell", p, "a shell in a runtime image") for p in shells]
        violations += [
            Violation("package-manager", p, "a package manager in a runtime image") for p in managers
        ]
        allowed = set(allowed_programs or ())
        violations += [
            Violation("program", p, f"{n!r} is on PATH but not in allowed-programs")
            for p, n in progs
            if n not in allowed and p not in shells and p not in managers
        ]
        violations += [Violation("setuid", p, "setuid/setgid bit") for p in sorted(setuid)]
        violations += [
            Violation("writable", p, f"writable by uid {uid} or by everyone") for p in sorted(writable_found)
        ]
        if uid == 0:
            violations.append(Violation("root-user", "USER", "runtime images run as a numeric non-root user"))
    kept, waived = [], []
    for v in violations:
        ex = next((e for e in exemptions if e.rule == v.rule and (not e.paths or v.path in e.paths)), None)
        if ex is None:
            kept.append(v)
        else:
            waived.append((v, ex.reason))
    report = HardeningReport.model_validate(
        {
            "shells": PathList.of(shells),
            "packageManagers": PathList.of(managers),
            "setuidFiles": PathList.of(setuid),
            "executables": PathList.of(executables),
            "user": RunUser.model_validate(
                {"user": user, "uid": uid, "nonRoot": uid != 0, "numeric": user.split(":")[0].isdigit()}
            ),
        }
    )
    return Hardening(report, tuple(p for p, _ in progs), tuple(kept), tuple(waived))


def enforce(h: Hardening, spec_path: str) -> None:
    if h.violations:
        lines = "\n  ".join(str(v) for v in h.violations)
        raise HardeningError(
            f"{spec_path}: the runtime image breaks {len(h.violations)} hardening rule(s):\n  {lines}",
            hint="drop or filter what brings these in, extend allowed-programs, or add a named exemption "
            "under hardening.exemptions (rule + reason)",
        )
