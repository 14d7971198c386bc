"""Split a final stage that needs a shell into a `-dev` stage and a runtime stage.

The original stage keeps its place and its lines, now FROM the `-dev` variant and named
`build` (or `<name>-build`): every RUN, COPY and ENV still happens there. The instructions
that only describe the image (CMD, ENTRYPOINT, HEALTHCHECK, EXPOSE, USER, LABEL, VOLUME,
STOPSIGNAL), with the comment lines above them, move into a new last stage FROM the runtime
variant, which copies the results: the application directories, the paths RUN visibly
writes, the venv. Shell-form commands become exec form, USER becomes 65532.
"""

from __future__ import annotations

from collections.abc import Callable

from hardbake.migrate import execform
from hardbake.migrate.dfcommand import RuntimeFacts, check_command, check_healthcheck
from hardbake.migrate.dfstage import (
    VENV,
    Ctx,
    Result,
    StageBase,
    expose_edits,
    from_edit,
    image_token,
    insert_venv,
    port_and_path_checks,
    repeat_text,
    stage_edits,
    templated_ref,
)
from hardbake.migrate.dfwalk import StageWalk, copy_destination, is_transient, minimal_paths, written_by_run
from hardbake.migrate.dockerparse import Dockerfile, Instruction
from hardbake.migrate.families import NONROOT_UID
from hardbake.migrate.model import Edit, Severity
from hardbake.migrate.runedits import runtime_packages
from hardbake.migrate.textfile import apply_edits

MOVED = frozenset(
    {"CMD", "ENTRYPOINT", "HEALTHCHECK", "EXPOSE", "STOPSIGNAL", "VOLUME", "LABEL", "MAINTAINER", "USER"}
)
_BUILDERS = frozenset(
    {"npm", "yarn", "pnpm", "mvn", "gradle", "go", "cargo", "make", "composer", "bundle", "javac"}
)


def split(
    df: Dockerfile,
    root: StageBase,
    walk: StageWalk,
    ctx: Ctx,
    r: Result,
    inherited: tuple[StageWalk, ...] = (),
) -> None:
    """Split `walk.stage` (the final stage). `root` is the stage whose image it runs on;
    `inherited` are the stages between them (root first), when the final stage builds on
    stages: it then starts FROM the -dev image itself and repeats their instructions."""
    stage = walk.stage
    assert root.use is not None
    match = root.use.match
    file = ctx.file
    line = stage.from_.start_line
    if match.dev is None or match.runtime is None:
        r.add(
            Severity.blocker,
            line,
            "no-dev-variant",
            f"the final stage runs commands, but the catalog has no -dev variant of {match.runtime}",
            file,
        )
        return
    facts = stage_edits(df, walk, root, ctx, r, users="keep")
    venv = match.family == "python" and insert_venv(df, [walk], ctx, r)
    paths = [p for w in inherited for p in _copy_set(w, ctx, r)] + _copy_set(walk, ctx, r)
    if venv:
        paths = [VENV, *paths]
    paths = minimal_paths(paths)
    workdir = walk.final_workdir or next(
        (w.final_workdir for w in reversed(inherited) if w.final_workdir), None
    )
    everything = [*(s for w in inherited for s in w.steps), *walk.steps]
    rt = RuntimeFacts(
        match.family,
        tuple(paths),
        tuple(facts.installed),
        workdir or "/",
        venv or VENV in paths,
        ctx.context,
        root.origin,
        any(s.inst.keyword == "ENTRYPOINT" for s in everything),
    )
    for pkg, pline in runtime_packages(facts.installed):
        r.add(
            Severity.warning,
            pline,
            "runtime-package",
            f"{pkg} is installed in the -dev stage only; if the application needs it at run time, build a hardbake "
            "image whose spec adds it",
            file,
        )

    dev_name = _dev_name(df, stage.name)
    if inherited:
        _, tok_start, tok_end = image_token(df, stage)
        r.edit(file, Edit(tok_start, tok_end, match.dev))
        repeated = repeat_text(df, list(inherited), r, file, root.stage.label, match.runtime)
        if repeated:
            r.edit(file, Edit(stage.from_.end, stage.from_.end, repeated))
    else:
        from_edit(df, stage, match.dev, match.version, r, file, arg_default=False)
    toks = df.words(stage.from_)
    if stage.name:
        _, name_start, name_end = toks[-1]
        r.edit(file, Edit(name_start, name_end, dev_name))
    else:
        img = next(t for t in toks[1:] if not t[0].startswith("--"))
        r.edit(file, Edit(img[2], img[2], f" {_keyword_case(stage.from_.written)('AS')} {dev_name}"))
    r.variants[stage.index] = "dev"

    nl = df.file.newline
    k = _keyword_case(stage.from_.written)
    moved: list[str] = []
    deleted: list[Edit] = []
    user_at: int | None = None
    for s in everything:
        inst = s.inst
        if inst.keyword not in MOVED:
            continue
        own = s in walk.steps
        start = _comment_block_start(df, inst) if own else inst.start
        if own:  # an inherited stage keeps its lines; the final stage's move to the runtime stage
            deleted.append(Edit(start, inst.end, ""))
            r.edit(file, deleted[-1])
        comments = df.text[start : inst.start]
        if inst.keyword == "USER":
            if inst.value[0] != str(NONROOT_UID) and own:
                r.add(
                    Severity.change,
                    inst.start_line,
                    "user",
                    f"USER {inst.value[0]} -> {NONROOT_UID} in the runtime stage",
                    file,
                )
            if comments:
                moved.append(comments.rstrip("\r\n"))
            continue
        if inst.keyword in ("CMD", "ENTRYPOINT") and user_at is None:
            user_at = len(moved)
        body = _moved_text(df, inst, rt, ctx, r)
        moved.append((comments + body).rstrip("\r\n"))
    if user_at is None:
        user_at = len(moved)
    moved.insert(user_at, f"{k('USER')} {NONROOT_UID}")

    chown = f" --chown={NONROOT_UID}:{NONROOT_UID}" if facts.owned else ""
    lines = [
        f'# runtime stage (hardbake migrate): no shell, no package manager; the results of "{dev_name}" are copied in',
        f"{k('FROM')} {templated_ref(df, stage, match.runtime, match.version) or match.runtime}"
        + (f" {k('AS')} {stage.name}" if stage.name else ""),
    ]
    lines += [df.raw(s.inst).rstrip("\r\n") for s in everything if s.inst.keyword == "ARG"]
    if workdir:
        lines.append(f"{k('WORKDIR')} {workdir}")
    lines += [df.raw(s.inst).rstrip("\r\n") for s in everything if s.inst.keyword == "ENV"]
    if venv:
        lines.append(f'{k("ENV")} PATH="{VENV}/bin:$PATH"')
    lines += [_copy_line(k("COPY"), dev_name, chown, p) for p in paths]
    lines += moved
    r.edit(file, Edit(len(df.text), len(df.text), _separator(df, walk, deleted, nl) + nl.join(lines) + nl))
    runs = sorted({s.inst.start_line for s in walk.runs})
    r.add(
        Severity.change,
        line,
        "two-stage",
        f"the final stage RUNs commands (line {', '.join(map(str, runs))}) that need the -dev variant: they stay in "
        f'stage "{dev_name}" on {match.dev}; a new runtime stage on {match.runtime} copies '
        f"{', '.join(paths) if paths else 'nothing'}",
        file,
    )
    port_and_path_checks(df, [*inherited, walk], match.family, ctx, r)


def _moved_text(df: Dockerfile, inst: Instruction, rt: RuntimeFacts, ctx: Ctx, r: Result) -> str:
    raw = df.raw(inst)
    if inst.keyword in ("CMD", "ENTRYPOINT"):
        chk = check_command(inst, rt, ctx.file)
        r.findings.extend(chk.findings)
        if chk.argv is not None:
            return f"{inst.written} {execform.render(chk.argv)}"
    elif inst.keyword == "HEALTHCHECK":
        chk = check_healthcheck(inst, rt, ctx.file)
        r.findings.extend(chk.findings)
        if chk.argv is not None:
            flags = "".join(f" {f}" for f in inst.flags)
            return f"{inst.written}{flags} CMD {execform.render(chk.argv)}"
    elif inst.keyword == "EXPOSE":
        found = expose_edits(df, inst, rt.family)
        edits = [Edit(e.start - inst.start, e.end - inst.start, e.text) for e, _ in found]
        for _, msg in found:
            r.add(Severity.change, inst.start_line, "port", msg, ctx.file)
        return apply_edits(raw, edits)
    return raw


def _copy_set(walk: StageWalk, ctx: Ctx, r: Result) -> list[str]:
    paths: list[str] = []
    for s in walk.steps:
        k = s.inst.keyword
        if k in ("COPY", "ADD"):
            w = copy_destination(s)
            if w.path is None:
                r.add(
                    Severity.blocker,
                    w.line,
                    "copy-dest",
                    f"{k} destination {w.text!r} cannot be resolved here; the runtime stage could not copy it",
                    ctx.file,
                )
            elif w.path == "/":
                r.add(
                    Severity.blocker,
                    w.line,
                    "copy-root",
                    f"{k} into / cannot be told apart from the -dev image's own files: give the application its own "
                    "directory (WORKDIR /app) and run migrate again",
                    ctx.file,
                )
            else:
                paths.append(w.path)
        elif k == "RUN":
            if s.workdir != "/" and not is_transient(s.workdir):
                paths.append(s.workdir)
            elif s.workdir == "/" and any(c.program in _BUILDERS for c in s.commands):
                r.add(
                    Severity.warning,
                    s.inst.start_line,
                    "builds-in-root",
                    "this RUN builds in / (no WORKDIR): its results cannot be copied as one directory; set a WORKDIR",
                    ctx.file,
                )
            for w in written_by_run(s):
                if w.path is None:
                    r.add(
                        Severity.warning,
                        w.line,
                        "unknown-path",
                        f"RUN writes {w.text!r} ({w.how}), which cannot be resolved; the runtime stage may miss it",
                        ctx.file,
                    )
                elif w.path != "/" and not is_transient(w.path):
                    paths.append(w.path)
    return paths


def _copy_line(copy: str, dev: str, chown: str, path: str) -> str:
    if any(c.isspace() for c in path) or '"' in path:
        return f"{copy} --from={dev}{chown} {execform.render([path, path])}"
    return f"{copy} --from={dev}{chown} {path} {path}"


def _keyword_case(written: str) -> Callable[[str], str]:
    """Write new instructions in the file's own case (`from` files get `copy`, not `COPY`)."""
    lower = written.islower()
    return lambda w: w.lower() if lower else w


def _separator(df: Dockerfile, walk: StageWalk, deleted: list[Edit], nl: str) -> str:
    """What goes before the runtime stage so that exactly one blank line separates it."""
    kept = [s.inst for s in walk.steps if s.inst.keyword not in MOVED]
    k = kept[-1].end if kept else walk.stage.from_.end
    tail = apply_edits(df.text[k:], [Edit(e.start - k, e.end - k, e.text) for e in deleted if e.start >= k])
    before = df.text[:k] + tail
    if before.endswith(("\n\n", "\n\r\n")):
        return ""
    return nl if before.endswith("\n") else nl + nl


def _dev_name(df: Dockerfile, name: str | None) -> str:
    taken = {s.name.lower() for s in df.stages if s.name}
    base = f"{name}-build" if name else "build"
    cand, n = base, 2
    while cand.lower() in taken:
        cand, n = f"{base}-{n}", n + 1
    return cand


def _comment_block_start(df: Dockerfile, inst: Instruction) -> int:
    """Offset where the comment lines directly above `inst` begin (inst.start if none)."""
    text = df.text
    start = inst.start
    first_inst = df.preamble[0].start if df.preamble else df.stages[0].from_.start
    while start > first_inst:
        prev_end = start - 1  # the '\n' ending the previous line
        prev_start = text.rfind("\n", 0, prev_end) + 1
        line = text[prev_start:prev_end].strip()
        if not line.startswith("#"):
            break
        start = prev_start
    return start
