"""The pieces of a Dockerfile conversion that every stage shares: the conversion's inputs and
outputs (`Ctx`, `Result`), the FROM rewrite, RUN/USER/--chown edits of a stage, the venv that
PEP 668 makes necessary, and the in-place fixes of runtime-stage instructions (exec form,
healthcheck, ports, paths only the official entrypoint knew).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hardbake.migrate import execform
from hardbake.migrate import families as fam
from hardbake.migrate.dfcommand import RuntimeFacts, check_command, check_healthcheck
from hardbake.migrate.dfwalk import StageWalk, copy_destination, creates_venv, pip_installs
from hardbake.migrate.dockerparse import VAR_RE, Dockerfile, Instruction, Stage, expand
from hardbake.migrate.families import NONROOT_UID
from hardbake.migrate.model import Confidence, Edit, Finding, ImageUse, Severity
from hardbake.migrate.ports import conf_edits
from hardbake.migrate.runedits import edit_runs
from hardbake.migrate.textfile import apply_edits

VENV = "/opt/venv"


@dataclass(frozen=True)
class StageBase:
    stage: Stage
    parent: int | None  # index of the stage it builds on
    use: ImageUse | None  # its image, when it starts FROM an image
    alpine: bool = False  # the original image is Alpine-based (apk commands to translate)
    origin: str | None = None  # "official" | "distroless" (whose ENTRYPOINT conventions apply)


@dataclass
class Ctx:
    file: str  # the Dockerfile, relative to the scanned root
    root: Path
    context: Path | None  # build context directory (the Dockerfile's directory)
    allowed: tuple[Confidence, ...]


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    edits: dict[str, list[Edit]] = field(default_factory=dict)
    variants: dict[int, str] = field(default_factory=dict)  # stage index -> runtime | dev

    def edit(self, path: str, e: Edit) -> None:
        self.edits.setdefault(path, []).append(e)

    def add(self, severity: Severity, line: int, code: str, message: str, file: str) -> None:
        self.findings.append(Finding(file, line, severity, code, message))


def from_edit(
    df: Dockerfile,
    stage: Stage,
    new_image: str,
    version: str | None,
    r: Result,
    file: str,
    *,
    arg_default: bool = True,
) -> None:
    """Point a FROM at `new_image`, keeping an ARG that selects the version when it still can.

    - `FROM node:20-alpine` -> `FROM hardbake/node:20`
    - `FROM node:${NODE_VERSION}-alpine` (ARG NODE_VERSION=20) -> `FROM hardbake/node:${NODE_VERSION}`
    - `FROM ${BASE}` (ARG BASE=node:20, used by this FROM only) -> the ARG's default changes
    - otherwise the reference is written out and the finding says the ARG no longer applies.
    """
    token, s, e = image_token(df, stage)
    found = list(variables(token))
    if not found:
        r.edit(file, Edit(s, e, new_image))
        return
    if arg_default and len(found) == 1 and token == found[0][0] and _uses(df, found[0][1]) == 1:
        name = found[0][1]
        arg = _arg_token(df, name)
        if arg is not None:
            r.edit(file, Edit(arg[1], arg[2], f"{name}={new_image}"))
            r.add(
                Severity.change,
                df.text.count("\n", 0, arg[1]) + 1,
                "arg",
                f"ARG {name} default -> {new_image}",
                file,
            )
            return
    templated = templated_ref(df, stage, new_image, version)
    if templated is not None:
        r.edit(file, Edit(s, e, templated))
        return
    names = ", ".join(sorted({n for _, n in found}))
    r.edit(file, Edit(s, e, new_image))
    r.add(
        Severity.warning,
        stage.from_.start_line,
        "arg",
        f"FROM {token}: written out as {new_image}; ARG {names} no longer selects this base image",
        file,
    )


def image_token(df: Dockerfile, stage: Stage) -> tuple[str, int, int]:
    toks = df.words(stage.from_)
    i = 1
    while i < len(toks) and toks[i][0].startswith("--"):
        i += 1
    return toks[i]


def templated_ref(df: Dockerfile, stage: Stage, new_image: str, version: str | None) -> str | None:
    """`PREFIX/family:${VAR}<rest>` when the stage's tag is one ARG whose value is the hardened version."""
    token = image_token(df, stage)[0]
    found = list(variables(token))
    if len(found) != 1 or not version:
        return None
    expr = found[0][0]
    name_part, _, tag = new_image.rpartition(":")
    before = token[: token.index(expr)]
    if before.endswith(":") and tag.startswith(version) and expand(expr, df.global_args()) == version:
        return f"{name_part}:{expr}{tag[len(version) :]}"
    return None


def variables(token: str) -> Iterator[tuple[str, str]]:
    """(expression, name) of each $VAR / ${VAR...} in a token."""
    for m in VAR_RE.finditer(token):
        if m.group(0) != "\\$":
            yield m.group(0), m.group("braced") or m.group("bare")


def _uses(df: Dockerfile, name: str) -> int:
    return sum(1 for st in df.stages if any(n == name for _, n in variables(st.image)))


def _arg_token(df: Dockerfile, name: str) -> tuple[str, int, int] | None:
    for inst in df.preamble:
        for t in df.words(inst)[1:]:
            if t[0].split("=", 1)[0] == name and "=" in t[0]:
                return t
    return None


@dataclass(frozen=True)
class StageFacts:
    installed: list[tuple[str, int]]  # packages a package manager installs
    owned: bool  # the original gave files to a non-root user (chown, --chown, USER before work)


def stage_edits(
    df: Dockerfile, walk: StageWalk, base: StageBase, ctx: Ctx, r: Result, *, users: str
) -> StageFacts:
    """RUN translations, users and --chown for one stage.

    users: "drop" removes non-root USER lines (a -dev stage builds as root), "map" makes them
    numeric, "final" makes every USER (root too) the non-root 65532 (the image that ships),
    "keep" leaves them to the caller (the split moves them to the runtime stage).
    """
    steps = walk.steps
    runs = edit_runs(df.text, steps, ctx.file, base.alpine)
    for e in runs.edits:
        r.edit(ctx.file, e)
    r.findings.extend(runs.findings)
    for s in steps:
        if s.scan_error:
            r.add(
                Severity.blocker,
                s.inst.start_line,
                "unparsed-run",
                f"could not follow this RUN ({s.scan_error})",
                ctx.file,
            )
    chowned = runs.chowned
    non_root_user = False
    for s in steps:
        inst = s.inst
        if inst.keyword in ("COPY", "ADD"):
            chowned = _chown_flag(df, inst, ctx, r) or chowned
        elif inst.keyword == "USER" and users == "final":
            non_root_user = non_root_user or not _is_root_user(inst.value[0])
            _user_edit(df, inst, ctx, r)
        elif inst.keyword == "USER" and not _is_root_user(inst.value[0]):
            non_root_user = True
            if users == "drop":
                r.edit(ctx.file, Edit(inst.start, inst.end, ""))
                r.add(
                    Severity.change,
                    inst.start_line,
                    "user",
                    f"USER {inst.value[0]} dropped from the -dev stage (it builds as root)",
                    ctx.file,
                )
            elif users == "map":
                _user_edit(df, inst, ctx, r)
    return StageFacts(runs.installed, chowned or non_root_user)


def _is_root_user(value: str) -> bool:
    return value.split(":", 1)[0] in ("root", "0")


def _user_edit(df: Dockerfile, inst: Instruction, ctx: Ctx, r: Result) -> None:
    if inst.value[0].split(":", 1)[0] == str(NONROOT_UID):
        return
    toks = df.words(inst)
    r.edit(ctx.file, Edit(toks[1][1], toks[-1][2], str(NONROOT_UID)))
    if _is_root_user(inst.value[0]):
        r.add(
            Severity.change,
            inst.start_line,
            "user",
            f"USER {inst.value[0]} -> {NONROOT_UID}: the shipped image runs as the non-root user",
            ctx.file,
        )
        return
    r.add(
        Severity.change,
        inst.start_line,
        "user",
        f"USER {inst.value[0]} -> {NONROOT_UID} (the hardened non-root user)",
        ctx.file,
    )


def _chown_flag(df: Dockerfile, inst: Instruction, ctx: Ctx, r: Result) -> bool:
    owner = inst.flag("chown")
    if owner is None:
        return False
    user, colon, group = owner.partition(":")

    def mapped(name: str) -> str:
        return name if (not name or name.isdigit() or name == "root" or "$" in name) else str(NONROOT_UID)

    new = mapped(user) + (colon + mapped(group) if colon else "")
    if new != owner:
        for t, s, e in df.words(inst):
            if t.startswith("--chown="):
                r.edit(ctx.file, Edit(s, e, f"--chown={new}"))
        r.add(Severity.change, inst.start_line, "user", f"--chown={owner} -> --chown={new}", ctx.file)
    return not _is_root_user(new)


def insert_venv(df: Dockerfile, walks: list[StageWalk], ctx: Ctx, r: Result) -> bool:
    """Put pip's installs into a venv before the first `pip install` (PEP 668). True if inserted."""
    cmds = [(s, c) for w in walks for s, c in w.run_commands()]
    if any(creates_venv(c) for _, c in cmds):
        return False
    first = next((s for s, c in cmds if pip_installs(c)), None)
    if first is None:
        return False
    nl = df.file.newline
    run, env = ("run", "env") if first.inst.written.islower() else ("RUN", "ENV")
    text = f'{run} python3 -m venv {VENV}{nl}{env} PATH="{VENV}/bin:$PATH"{nl}'
    r.edit(ctx.file, Edit(first.inst.start, first.inst.start, text))
    r.add(
        Severity.change,
        first.inst.start_line,
        "pep668-venv",
        f"pip install into Debian's system Python is refused (PEP 668): a venv at {VENV} is created first and put on PATH",
        ctx.file,
    )
    return True


def config_edits(df: Dockerfile, inst: Instruction, facts: RuntimeFacts, ctx: Ctx, r: Result) -> None:
    """In-place fixes of one runtime-stage instruction: exec form, healthcheck, ports."""
    if inst.keyword in ("CMD", "ENTRYPOINT"):
        chk = check_command(inst, facts, ctx.file)
        r.findings.extend(chk.findings)
        if chk.argv is not None and not chk.blocked:
            r.edit(
                ctx.file,
                Edit(inst.start, inst.end, f"{inst.written} {execform.render(chk.argv)}{line_end(df, inst)}"),
            )
    elif inst.keyword == "HEALTHCHECK":
        chk = check_healthcheck(inst, facts, ctx.file)
        r.findings.extend(chk.findings)
        if chk.argv is not None and not chk.blocked:
            flags = "".join(f" {f}" for f in inst.flags)
            r.edit(
                ctx.file,
                Edit(
                    inst.start,
                    inst.end,
                    f"{inst.written}{flags} CMD {execform.render(chk.argv)}{line_end(df, inst)}",
                ),
            )
    elif inst.keyword == "EXPOSE":
        for e, msg in expose_edits(df, inst, facts.family):
            r.edit(ctx.file, e)
            r.add(Severity.change, inst.start_line, "port", msg, ctx.file)
    elif inst.keyword == "ONBUILD":
        r.add(
            Severity.warning,
            inst.start_line,
            "onbuild",
            "ONBUILD triggers run in images built FROM this one; on a runtime image they cannot RUN",
            ctx.file,
        )


def expose_edits(df: Dockerfile, inst: Instruction, family: str | None) -> list[tuple[Edit, str]]:
    out = []
    pmap = dict(fam.traits(family).port_map)
    for t, s, e in df.words(inst)[1:]:
        port, slash, proto = t.partition("/")
        if port.isdigit() and int(port) in pmap:
            new = f"{pmap[int(port)]}{slash}{proto}"
            out.append(
                (
                    Edit(s, e, new),
                    f"EXPOSE {t} -> {new}: the hardened {family} listens on {pmap[int(port)]} (non-root)",
                )
            )
    return out


def line_end(df: Dockerfile, inst: Instruction) -> str:
    raw = df.raw(inst)
    return "\r\n" if raw.endswith("\r\n") else "\n" if raw.endswith("\n") else ""


def port_and_path_checks(
    df: Dockerfile, walks: list[StageWalk], family: str | None, ctx: Ctx, r: Result
) -> None:
    """Config files the runtime stage copies (nginx `listen 80`), and official-entrypoint paths."""
    traits = fam.traits(family)
    for w in walks:
        for s in w.steps:
            if s.inst.keyword not in ("COPY", "ADD") or s.inst.flag("from") or s.inst.heredocs:
                continue
            dest = copy_destination(s)
            for path, what in traits.official_paths:
                if dest.path and (dest.path == path or dest.path.startswith(path + "/")):
                    r.add(
                        Severity.warning,
                        s.inst.start_line,
                        "official-path",
                        f"COPY into {path}: {what}",
                        ctx.file,
                    )
            if traits.conf_listen and ctx.context is not None:
                for rel, edits, msg in conf_edits(
                    ctx.root, ctx.context, s.inst.value[:-1], traits.conf_listen, traits.port_map
                ):
                    for e in edits:
                        r.edit(rel, e)
                    r.add(Severity.change, s.inst.start_line, "port", msg, ctx.file)


#: instructions a repeated ancestry leaves out: image metadata, and what a -dev stage drops
NOT_REPEATED = frozenset(
    {
        "RUN",
        "USER",
        "CMD",
        "ENTRYPOINT",
        "HEALTHCHECK",
        "EXPOSE",
        "STOPSIGNAL",
        "VOLUME",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
    }
)


def repeat_text(
    df: Dockerfile, inherited: list[StageWalk], r: Result, file: str, label: str, runtime: str
) -> str:
    """The instructions of `inherited` stages, as edited so far, for a stage that now starts FROM
    the -dev image instead of building on them ("" when there is nothing to repeat)."""
    own = r.edits.get(file, [])
    lines = []
    for w in inherited:
        for step in w.steps:
            inst = step.inst
            if inst.keyword in NOT_REPEATED:
                continue
            edits = [
                Edit(x.start - inst.start, x.end - inst.start, x.text)
                for x in own
                if inst.start <= x.start and x.end <= inst.end
            ]
            lines.append(apply_edits(df.raw(inst), edits).rstrip("\r\n"))
    if not lines:
        return ""
    nl = df.file.newline
    head = f"# (hardbake migrate) repeated from stage {label}, which now runs on {runtime}:"
    return nl.join([head, *lines]) + nl  # inserted after a FROM line, which ends with a newline
