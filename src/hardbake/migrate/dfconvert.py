"""Decide, stage by stage, what a Dockerfile becomes on hardened images, as edits and findings.

- A build stage (not the final one) that runs anything moves to the `-dev` variant; one that
  only copies moves to the runtime variant.
- The final stage runs on the runtime variant. If it needs nothing a runtime image lacks, the
  change is in place: FROM, numeric USER, exec-form CMD, ports. If it RUNs anything, it is
  split in two (`dfsplit.py`): the work stays in a stage on the `-dev` variant and a new
  runtime stage copies its results.
- Whatever cannot be converted safely is a blocker, and a file with a blocker keeps every
  byte: a half-migrated Dockerfile that mixes bases is worse than an untouched one.
"""

from __future__ import annotations

from hardbake.migrate import dfsplit
from hardbake.migrate.dfcommand import RuntimeFacts
from hardbake.migrate.dfstage import (
    VENV,
    Ctx,
    Result,
    StageBase,
    config_edits,
    from_edit,
    image_token,
    insert_venv,
    port_and_path_checks,
    repeat_text,
    stage_edits,
)
from hardbake.migrate.dfwalk import StageWalk, copy_destination
from hardbake.migrate.dockerparse import Dockerfile
from hardbake.migrate.model import Edit, Finding, Severity
from hardbake.migrate.textfile import tidy_blank_lines


def convert(df: Dockerfile, bases: list[StageBase], walks: list[StageWalk], ctx: Ctx) -> Result:
    r = Result()
    roots = [_root(bases, i) for i in range(len(bases))]
    chains: dict[int, list[int]] = {}
    for i, root in enumerate(roots):
        chains.setdefault(root, []).append(i)
    final = len(bases) - 1
    for root, chain in chains.items():
        use = bases[root].use
        if use is None or use.match.confidence not in ctx.allowed or use.match.runtime is None:
            continue
        if root == roots[final]:
            _final(df, bases, walks, chain, ctx, r)
        else:
            _builder(df, bases, walks, chain, ctx, r)
    _pip_system_copies(df, bases, walks, ctx, r)
    _musl_copies(df, bases, walks, roots, ctx, r)
    if ctx.file in r.edits:
        r.edits[ctx.file] = tidy_blank_lines(df.text, r.edits[ctx.file])
    blockers = [f for f in r.findings if f.severity is Severity.blocker]
    if blockers:
        # nothing is rewritten, so the changes it would have made are not reported as made
        r.findings = [f for f in r.findings if f.severity is not Severity.change]
        r.findings.append(
            Finding(
                ctx.file,
                1,
                Severity.info,
                "untouched",
                f"left untouched because of {len(blockers)} blocker{'' if len(blockers) == 1 else 's'}",
            )
        )
        r.edits.clear()
        r.variants.clear()
    return r


def _root(bases: list[StageBase], i: int) -> int:
    seen = set()
    while bases[i].parent is not None and i not in seen:
        seen.add(i)
        i = bases[i].parent  # type: ignore[assignment]
    return i


def _builder(
    df: Dockerfile, bases: list[StageBase], walks: list[StageWalk], chain: list[int], ctx: Ctx, r: Result
) -> None:
    root = bases[chain[0]]
    assert root.use is not None
    match = root.use.match
    needs_dev = any(walks[i].needs_dev for i in chain)
    ref = match.dev if needs_dev else match.runtime
    line = root.stage.from_.start_line
    if ref is None:
        r.add(
            Severity.blocker,
            line,
            "no-dev-variant",
            f"stage {root.stage.label} runs commands, but the catalog has no -dev variant of {match.runtime}",
            ctx.file,
        )
        return
    from_edit(df, root.stage, ref, match.version, r, ctx.file)
    r.variants[chain[0]] = "dev" if needs_dev else "runtime"
    for i in chain:
        stage_edits(df, walks[i], bases[chain[0]], ctx, r, users="drop" if needs_dev else "map")
    if needs_dev and match.family == "python":
        insert_venv(df, [walks[i] for i in chain], ctx, r)


def _final(
    df: Dockerfile, bases: list[StageBase], walks: list[StageWalk], chain: list[int], ctx: Ctx, r: Result
) -> None:
    root = bases[chain[0]]
    assert root.use is not None
    match = root.use.match
    final = chain[-1]
    path = _ancestry(bases, final)  # root ... final
    needs = [i for i in path if walks[i].needs_dev]
    if needs and needs != [final]:
        stage = bases[needs[0]].stage
        r.add(
            Severity.blocker,
            bases[final].stage.from_.start_line,
            "shared-base",
            f"the final stage builds on stage {stage.label} (line {stage.from_.start_line}), whose RUN commands "
            "need the -dev variant: start the final stage FROM the image and copy what it needs from the build "
            "stages, then run migrate again",
            ctx.file,
        )
        return
    if needs:
        if final != chain[0]:
            # the final stage builds on stages that need nothing from a shell: those move to the
            # runtime variant for the stages that branch off them, and the final stage repeats them
            from_edit(df, root.stage, match.runtime or "", match.version, r, ctx.file)
            r.variants[chain[0]] = "runtime"
            for i in path[:-1]:
                stage_edits(df, walks[i], root, ctx, r, users="map")
        dfsplit.split(df, root, walks[final], ctx, r, tuple(walks[i] for i in path[:-1]))
        for i in chain:
            if i not in path and bases[i].parent in path:
                _branch(df, bases, walks, i, path, ctx, r)
        return
    # in place: the final image needs nothing a runtime image lacks
    from_edit(df, root.stage, match.runtime or "", match.version, r, ctx.file)
    r.variants[chain[0]] = "runtime"
    installed: list[tuple[str, int]] = []
    copied: list[str] = []
    for i in path:
        installed.extend(stage_edits(df, walks[i], root, ctx, r, users="final").installed)
        for s in walks[i].steps:
            if s.inst.keyword in ("COPY", "ADD"):
                w = copy_destination(s)
                if w.path:
                    copied.append(w.path)
    last = walks[final]
    has_entrypoint = any(s.inst.keyword == "ENTRYPOINT" for i in path for s in walks[i].steps)
    facts_rt = RuntimeFacts(
        match.family,
        tuple(copied),
        tuple(installed),
        last.final_workdir or "/",
        False,
        ctx.context,
        root.origin,
        has_entrypoint,
    )
    for i in path:
        for s in walks[i].steps:
            config_edits(df, s.inst, facts_rt, ctx, r)
    port_and_path_checks(df, [walks[i] for i in path], match.family, ctx, r)
    for i in chain:
        if i not in path and bases[i].parent in path:
            _branch(df, bases, walks, i, path, ctx, r)


def _ancestry(bases: list[StageBase], i: int) -> list[int]:
    out = [i]
    while bases[out[-1]].parent is not None and len(out) <= len(bases):
        out.append(bases[out[-1]].parent)  # type: ignore[arg-type]
    return out[::-1]


def _descendants(bases: list[StageBase], i: int) -> list[int]:
    out = [i]
    for j in range(i + 1, len(bases)):
        if bases[j].parent in out:
            out.append(j)
    return out


def _branch(
    df: Dockerfile,
    bases: list[StageBase],
    walks: list[StageWalk],
    i: int,
    path: list[int],
    ctx: Ctx,
    r: Result,
) -> None:
    """A build stage that branches off the final image's ancestry: the ancestry moved to the
    runtime variant, so a branch that RUNs commands starts FROM the -dev variant instead and
    repeats the instructions it inherited (the official Next.js layout: base -> deps, base -> runner)."""
    branch = _descendants(bases, i)
    if not any(walks[j].needs_dev for j in branch):
        return
    root = bases[path[0]]
    assert root.use is not None
    match = root.use.match
    stage = bases[i].stage
    parent = bases[i].parent
    assert parent is not None
    if match.dev is None:
        r.add(
            Severity.blocker,
            stage.from_.start_line,
            "no-dev-variant",
            f"stage {stage.label} runs commands, but the catalog has no -dev variant of {match.runtime}",
            ctx.file,
        )
        return
    _, s, e = image_token(df, stage)
    r.edit(ctx.file, Edit(s, e, match.dev))
    inherited = [walks[j] for j in path[: path.index(parent) + 1]]
    repeated = repeat_text(df, inherited, r, ctx.file, bases[parent].stage.label, match.runtime or "")
    if repeated:
        r.edit(ctx.file, Edit(stage.from_.end, stage.from_.end, repeated))
    for j in branch:
        stage_edits(df, walks[j], root, ctx, r, users="drop")
    if match.family == "python":
        insert_venv(df, [walks[j] for j in branch], ctx, r)
    r.add(
        Severity.change,
        stage.from_.start_line,
        "branch-dev",
        f"stage {stage.label} builds on {bases[parent].stage.label}, which moves to {match.runtime}; it RUNs commands, "
        f"so it starts FROM {match.dev} and repeats {bases[parent].stage.label}'s instructions",
        ctx.file,
    )


def _pip_system_copies(
    df: Dockerfile, bases: list[StageBase], walks: list[StageWalk], ctx: Ctx, r: Result
) -> None:
    """COPY --from=<python stage> of pip's system locations: Debian's Python does not read them."""
    for w in walks:
        for s in w.steps:
            src = s.inst.flag("from")
            if s.inst.keyword != "COPY" or src is None:
                continue
            target = df.stage_named(src)
            if target is None or r.variants.get(_root(bases, target.index)) is None:
                continue
            use = bases[_root(bases, target.index)].use
            if use is None or use.match.family != "python":
                continue
            paths = [*s.inst.value[:-1], s.inst.value[-1]]
            if any(
                "site-packages" in p or p.rstrip("/") in ("/usr/local", "/install") or "/.local" in p
                for p in paths
            ):
                r.add(
                    Severity.blocker,
                    s.inst.start_line,
                    "pip-system-copy",
                    f"COPY --from={src} {' '.join(s.inst.value)} copies pip's install location: on Debian's Python the "
                    f"packages belong in a venv ({VENV}); create it in the build stage and copy {VENV} instead",
                    ctx.file,
                )


def _musl_copies(
    df: Dockerfile, bases: list[StageBase], walks: list[StageWalk], roots: list[int], ctx: Ctx, r: Result
) -> None:
    """A converted final image that copies from a stage still built on Alpine gets musl binaries."""
    final = len(bases) - 1
    if roots[final] not in r.variants:
        return
    for i in [j for j in range(len(bases)) if roots[j] == roots[final]]:
        for s in walks[i].steps:
            src = s.inst.flag("from")
            target = df.stage_named(src) if src and s.inst.keyword == "COPY" else None
            if target is None or target.index >= i:
                continue
            root = roots[target.index]
            if bases[root].alpine and root not in r.variants:
                use = bases[root].use
                r.add(
                    Severity.warning,
                    s.inst.start_line,
                    "musl",
                    f"COPY --from={src}: stage {target.label} is built on {use.text if use else 'Alpine'} (musl); its "
                    "binaries need a Debian (glibc) builder or static linking (CGO_ENABLED=0) to run on the hardened image",
                    ctx.file,
                )
