"""Edits inside RUN instructions for a stage that moves to a Debian `-dev` image.

- `apk add` becomes `apt-get update && apt-get install -y --no-install-recommends` with the
  package words translated in place (`apk.py`); an unknown package is a blocker.
- user creation (`addgroup`, `adduser`, `useradd`, ...) is dropped: hardened images have
  their non-root user, 65532; `chown app:app` names it by number.
- `pip install --user` loses `--user` (the install goes into the venv).

Every edit touches only the words it changes (and the `&&` that joined a dropped command), so
the layout of the rest of the instruction survives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hardbake.migrate import apk
from hardbake.migrate.dfwalk import USER_TOOLS, Step, pip_installs
from hardbake.migrate.families import NONROOT_UID
from hardbake.migrate.model import Edit, Finding, Severity
from hardbake.migrate.shellscan import Command, Word

APT_INSTALL = "apt-get update && apt-get install -y --no-install-recommends"
_APK_FLAGS_WITH_VALUE = frozenset({"--virtual", "-t", "--repository", "-X", "--root", "-p", "--arch"})
_SAFE_SEPARATORS = frozenset({"&&", ";", "\n", None})
BUILD_ONLY = frozenset(
    {
        "build-essential",
        "gcc",
        "g++",
        "make",
        "cmake",
        "git",
        "curl",
        "wget",
        "ca-certificates",
        "pkg-config",
        "pkgconf",
        "autoconf",
        "automake",
        "libtool",
        "python3-pip",
        "python3-venv",
        "python3-setuptools",
        "python3-wheel",
        "unzip",
        "xz-utils",
        "patch",
        "file",
        "gnupg",
        "openssh-client",
        "linux-libc-dev",
        "libc6-dev",
        "cargo",
        "rustc",
        "golang-go",
        "gfortran",
        "bzip2",
        "gzip",
        "tar",
        "zip",
    }
)


@dataclass
class RunEdits:
    edits: list[Edit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    installed: list[tuple[str, int]] = field(default_factory=list)  # (Debian package, line)
    chowned: bool = False


def edit_runs(text: str, steps: list[Step], file: str, alpine: bool) -> RunEdits:
    r = RunEdits()
    for step in steps:
        if step.inst.keyword != "RUN" or not step.commands:
            continue
        removed: set[int] = set()
        line = step.inst.start_line
        for i, c in enumerate(step.commands):
            prog = c.program
            args = c.args
            if prog == "apk":
                if not alpine:
                    r.findings.append(
                        Finding(file, line, Severity.blocker, "apk", "apk on a Debian-based image")
                    )
                    continue
                _apk(text, c, args, line, file, r, removed, i)
            elif prog in ("apt-get", "apt") and len(args) > 1 and "install" in [a.text for a in args[1:3]]:
                for a in args[2:]:
                    if not a.text.startswith("-") and a.text != "install":
                        r.installed.append((a.text.split("=", 1)[0], line))
            elif prog in USER_TOOLS:
                removed.add(i)
            elif prog in ("chown", "chgrp"):
                _chown(c, args, line, file, r)
            elif pip_installs(c):
                for a in args:
                    if a.text == "--user":
                        r.edits.append(_delete_word(text, a))
                        r.findings.append(
                            Finding(
                                file,
                                line,
                                Severity.change,
                                "pip-user",
                                "pip install --user: --user dropped, the venv holds the packages",
                            )
                        )
            elif prog == "npm" and any(a.text in ("-g", "--global") for a in args):
                r.findings.append(
                    Finding(
                        file,
                        line,
                        Severity.warning,
                        "npm-global",
                        "npm install -g puts packages outside the application directory; the runtime stage does not "
                        "copy them: install them locally and run ./node_modules/.bin/NAME",
                    )
                )
        if removed:
            _remove(text, step, removed, r)
            tools = sorted(
                {step.commands[i].program for i in removed if step.commands[i].program in USER_TOOLS}
            )
            if tools:
                r.findings.append(
                    Finding(
                        file,
                        line,
                        Severity.change,
                        "user-creation",
                        f"{', '.join(tools)} dropped: hardened images run as the non-root user {NONROOT_UID}",
                    )
                )
    return r


def _apk(
    text: str,
    c: Command,
    args: tuple[Word, ...],
    line: int,
    file: str,
    r: RunEdits,
    removed: set[int],
    idx: int,
) -> None:
    sub_i = next((j for j in range(1, len(args)) if not args[j].text.startswith("-")), None)
    if sub_i is None:
        r.findings.append(Finding(file, line, Severity.blocker, "apk", "apk without a subcommand"))
        return
    sub = args[sub_i].text
    if sub in ("upgrade", "del", "cache"):
        removed.add(idx)  # the dev stage is not shipped: removing build deps or upgrading buys nothing
        return
    if sub == "update":
        r.edits.append(Edit(args[0].start, args[sub_i].end, "apt-get update"))
        return
    if sub != "add":
        r.findings.append(
            Finding(file, line, Severity.blocker, "apk", f"apk {sub}: no Debian translation known")
        )
        return
    edits: list[Edit] = [Edit(args[0].start, args[0].end, APT_INSTALL.split(" && ")[0] + " &&")]
    # options before the subcommand (apk --no-cache add) go, the subcommand becomes apt-get install
    for w in args[1:sub_i]:
        edits.append(_delete_word(text, w))
    edits.append(Edit(args[sub_i].start, args[sub_i].end, "apt-get install -y --no-install-recommends"))
    skip_value = False
    unknown: list[str] = []
    pinned: list[str] = []
    kept = 0
    for w in args[sub_i + 1 :]:
        t = w.text
        if skip_value:
            skip_value = False
            edits.append(_delete_word(text, w))
            continue
        if t.startswith("-"):
            edits.append(_delete_word(text, w))
            skip_value = t in _APK_FLAGS_WITH_VALUE
            continue
        names, pin = apk.translate(t)
        if names is None:
            unknown.append(t)
            continue
        if pin:
            pinned.append(t)
        if names:
            kept += 1
            edits.append(Edit(w.start, w.end, " ".join(names)))
            r.installed.extend((n, line) for n in names)
        else:
            edits.append(_delete_word(text, w))
    if unknown:
        r.findings.append(
            Finding(
                file,
                line,
                Severity.blocker,
                "apk-unknown",
                f"apk add {' '.join(unknown)}: no known Debian package name; translate it by hand "
                "(see https://packages.debian.org) and run migrate again",
            )
        )
        return
    if kept == 0:
        removed.add(idx)
        dropped = " ".join(w.text for w in args[sub_i + 1 :] if not w.text.startswith("-"))
        r.findings.append(
            Finding(
                file,
                line,
                Severity.change,
                "apk-apt",
                f"apk add {dropped} dropped: Debian (glibc) needs none of it",
            )
        )
        return
    r.edits.extend(edits)
    what = "apk add -> apt-get install (Debian package names)"
    if pinned:
        what += f"; Alpine version pins dropped: {', '.join(pinned)}"
    r.findings.append(Finding(file, line, Severity.change, "apk-apt", what))


def _chown(c: Command, args: tuple[Word, ...], line: int, file: str, r: RunEdits) -> None:
    r.chowned = True
    owner = next((a for a in args[1:] if not a.text.startswith("-")), None)
    if owner is None:
        return
    user, colon, group = owner.text.partition(":")
    if "$" in owner.text:
        r.findings.append(
            Finding(
                file,
                line,
                Severity.warning,
                "chown-variable",
                f"{c.program} {owner.text}: a variable names the owner; it must resolve to {NONROOT_UID}",
            )
        )
        return
    if c.program == "chgrp":
        user, colon, group = "", ":", owner.text

    def mapped(name: str) -> str:
        return name if (not name or name.isdigit() or name == "root") else str(NONROOT_UID)

    new = mapped(user) + (colon + mapped(group) if colon else "")
    if c.program == "chgrp":
        new = mapped(group)
    if new != owner.text:
        r.edits.append(Edit(owner.start, owner.end, new))
        r.findings.append(Finding(file, line, Severity.change, "user", f"{c.program} {owner.text} -> {new}"))


def _remove(text: str, step: Step, removed: set[int], r: RunEdits) -> None:
    cmds = step.commands
    if len(removed) == len(cmds):
        inst = step.inst
        r.edits.append(Edit(inst.start, inst.end, ""))
        return
    groups: list[tuple[int, int]] = []
    for i in sorted(removed):
        if groups and groups[-1][1] == i - 1:
            groups[-1] = (groups[-1][0], i)
        else:
            groups.append((i, i))
    for a, b in groups:
        after = cmds[b + 1].op_before if b + 1 < len(cmds) else None
        keyword_prefix = cmds[a].words[0] is not cmds[a].args[0] if cmds[a].args else True
        if cmds[a].op_before not in _SAFE_SEPARATORS or after not in _SAFE_SEPARATORS or keyword_prefix:
            for i in range(a, b + 1):  # inside a pipe or an if/for: keep the shape, run `true`
                args = cmds[i].args
                if args:
                    r.edits.append(Edit(args[0].start, cmds[i].end, "true"))
            continue
        if a > 0:
            r.edits.append(Edit(cmds[a - 1].end, cmds[b].end, ""))
        else:
            r.edits.append(Edit(cmds[0].start, cmds[b + 1].start, ""))


def _delete_word(text: str, w: Word) -> Edit:
    """Delete a word with the blanks before it on its line (or after it, if it starts the line)."""
    s = w.start
    while s > 0 and text[s - 1] in " \t":
        s -= 1
    if s == 0 or text[s - 1] == "\n":
        e = w.end
        while e < len(text) and text[e] in " \t":
            e += 1
        return Edit(w.start, e, "")
    return Edit(s, w.end, "")


def runtime_packages(installed: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Installed packages that are not obviously build-only (a -dev package, a compiler, ...)."""
    return [(p, line) for p, line in installed if p not in BUILD_ONLY and not p.endswith("-dev")]
