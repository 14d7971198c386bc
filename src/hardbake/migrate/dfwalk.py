"""Walk one Dockerfile stage: the working directory and variables at each instruction, the
simple commands of each RUN, and the paths the stage writes.

The walk is what a two-stage conversion needs to know: where COPY and RUN put things (the
runtime stage copies exactly those paths), which packages a package manager installs, where
pip installs, which users are created. Paths are resolved as BuildKit resolves them
(relative to the WORKDIR in effect, variables from the stage's ARG and ENV).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from hardbake.migrate.dockerparse import Dockerfile, Instruction, Stage, declare, expand, unquote, words
from hardbake.migrate.shellscan import Command, ScanError, commands

#: places whose contents are caches or package-manager state, never application results
TRANSIENT = (
    "/tmp",  # noqa: S108 - a path inside the image, not a temp file here
    "/var/tmp",  # noqa: S108
    "/var/cache",
    "/var/lib/apt",
    "/var/lib/dpkg",
    "/var/log",
    "/root/.cache",
    "/root/.npm",
    "/dev",
    "/proc",
    "/run",
    "/etc/apt",
    "/usr/share/doc",
    "/usr/share/man",
)
USER_TOOLS = frozenset({"useradd", "adduser", "addgroup", "groupadd", "usermod"})


@dataclass(frozen=True)
class Step:
    inst: Instruction
    workdir: str  # in effect when the instruction runs
    env: dict[str, str | None]  # ARG and ENV values in effect (None: from --build-arg only)
    commands: tuple[Command, ...] = ()  # RUN only
    scan_error: str | None = None  # RUN the lexer could not follow


@dataclass(frozen=True)
class Written:
    """A path the stage writes, and the instruction that writes it."""

    path: str | None  # absolute; None when a variable or glob keeps it from being known
    line: int
    how: str  # COPY, WORKDIR, mkdir, venv, redirect, -o, ...
    text: str  # as written


@dataclass
class StageWalk:
    stage: Stage
    steps: list[Step] = field(default_factory=list)
    final_workdir: str | None = None  # the last WORKDIR, resolved; None if the stage sets none

    @property
    def runs(self) -> list[Step]:
        return [s for s in self.steps if s.inst.keyword == "RUN"]

    @property
    def needs_dev(self) -> bool:
        """Does any RUN need a shell or tools? (A RUN that only creates users is dropped instead.)"""
        return any(
            s.scan_error or not s.commands or any(c.program not in USER_TOOLS for c in s.commands)
            for s in self.runs
        )

    def run_commands(self) -> list[tuple[Step, Command]]:
        return [(s, c) for s in self.runs for c in s.commands]


def walk(
    df: Dockerfile, stage: Stage, global_args: dict[str, str | None], start_workdir: str = "/"
) -> StageWalk:
    env: dict[str, str | None] = {}
    workdir = start_workdir
    out = StageWalk(stage)
    for inst in stage.body:
        cmds: tuple[Command, ...] = ()
        err = None
        if inst.keyword == "RUN":
            try:
                cmds = tuple(run_commands(df, inst))
            except ScanError as e:
                err = str(e)
        out.steps.append(Step(inst, workdir, dict(env), cmds, err))
        if inst.keyword == "ARG":
            for item in inst.value:
                name, eq, _ = item.partition("=")
                if not eq and name in global_args:
                    env[name] = global_args[name]
            declare(inst, env)
        elif inst.keyword == "ENV":
            _env(inst, env)
        elif inst.keyword == "WORKDIR":
            value = expand(unquote(inst.value[0]), env)
            workdir = resolve(workdir, value) or workdir
            out.final_workdir = workdir
    return out


def _env(inst: Instruction, env: dict[str, str | None]) -> None:
    v = inst.value
    if len(v) >= 2 and len(v) % 2 == 0 and not any("=" in x for x in v[::2]):
        pairs = list(zip(v[::2], v[1::2], strict=True))  # the parser splits `ENV A=b C=d` into A, b, C, d
    else:
        pairs = [(v[0], " ".join(v[1:]))] if v else []
    for k, val in pairs:
        env[k] = expand(unquote(val), env)


def resolve(workdir: str, path: str | None) -> str | None:
    if path is None:
        return None
    return posixpath.normpath(posixpath.join(workdir, path)) if path else workdir


def run_commands(df: Dockerfile, inst: Instruction) -> list[Command]:
    """The simple commands of a RUN, from the original text (a heredoc script: its body)."""
    toks = words(df.text, inst.start, inst.end, df.escape)
    i = 1
    while i < len(toks) and toks[i][0].startswith("--"):
        i += 1
    if i >= len(toks):
        return []
    body = toks[i][1]
    if inst.heredocs and inst.value and inst.value[0].startswith("<<"):
        # `RUN <<EOT` : the heredoc body is the script (BuildKit runs it with the shell)
        first_nl = df.text.find("\n", inst.start, inst.end)
        last_line_start = df.text.rfind("\n", inst.start, inst.end - 1) + 1
        if first_nl == -1 or last_line_start <= first_nl:
            return []
        return commands(df.text, first_nl + 1, last_line_start, "\\")
    if inst.json:
        return []  # exec form: no shell; the caller looks at inst.value
    return commands(df.text, body, inst.end, df.escape)


def copy_destination(step: Step) -> Written:
    """Where a COPY/ADD writes, resolved; a directory when the destination says so."""
    inst = step.inst
    dest_raw = inst.value[-1]
    dest = expand(unquote(dest_raw), step.env)
    if dest is None or any(c in dest for c in "$*?["):
        return Written(None, inst.start_line, inst.keyword, dest_raw)
    return Written(resolve(step.workdir, dest), inst.start_line, inst.keyword, dest_raw)


def written_by_run(step: Step) -> list[Written]:
    """Paths a RUN's commands visibly write: mkdir, venvs, -o/--output, --target/--prefix, cp/mv targets, redirections."""
    out: list[Written] = []
    line = step.inst.start_line

    def add(word: str, how: str) -> None:
        if not word or word.startswith("-"):
            return
        known = None if any(c in word for c in "$*?[`") else resolve(step.workdir, word)
        out.append(Written(known, line, how, word))

    for c in step.commands:
        args = [w.text for w in c.args]
        prog = c.program
        for target in c.redirect_targets():
            if target.text not in ("/dev/null", "/dev/stderr", "/dev/stdout"):
                add(target.text, "redirect")
        if not args:
            continue
        if prog == "mkdir":
            for a in args[1:]:
                add(a, "mkdir")
        elif prog in ("cp", "mv", "ln") and len([a for a in args[1:] if not a.startswith("-")]) >= 2:
            add(args[-1], prog)
        elif prog in ("python", "python3") and args[1:3] == ["-m", "venv"]:
            rest = [a for a in args[3:] if not a.startswith("-")]
            if rest:
                add(rest[0], "venv")
        elif prog == "virtualenv":
            rest = [a for a in args[1:] if not a.startswith("-")]
            if rest:
                add(rest[0], "venv")
        for i, a in enumerate(args[1:], start=1):
            if a in ("-o", "--output", "--out", "--target", "--prefix", "--root") and i + 1 < len(args):
                add(args[i + 1], a)
            elif a.startswith(("--output=", "--target=", "--prefix=", "--root=")):
                add(a.split("=", 1)[1], a.split("=", 1)[0])
    return out


def is_transient(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in TRANSIENT)


def minimal_paths(paths: list[str]) -> list[str]:
    """Drop paths inside another path of the list (and duplicates), keeping first-seen order."""
    out: list[str] = []
    for p in paths:
        if any(p == q or p.startswith(q.rstrip("/") + "/") for q in out):
            continue
        out = [q for q in out if not q.startswith(p.rstrip("/") + "/")]
        out.append(p)
    return out


def pip_installs(cmd: Command) -> bool:
    a = [w.text for w in cmd.args]
    if not a:
        return False
    prog = a[0].rsplit("/", 1)[-1]
    if prog in ("pip", "pip3") or prog.startswith("pip3."):
        return "install" in a[1:2]
    if prog.startswith("python") and a[1:3] == ["-m", "pip"]:
        return "install" in a[3:4]
    return False


def creates_venv(cmd: Command) -> bool:
    a = [w.text for w in cmd.args]
    prog = a[0].rsplit("/", 1)[-1] if a else ""
    return (prog.startswith("python") and a[1:3] == ["-m", "venv"]) or prog in ("virtualenv", "uv")
