"""Dockerfiles: the image of every stage (ARGs resolved, stage names and scratch told apart),
the images COPY --from and RUN --mount name, and the conversion's edits and findings."""

from __future__ import annotations

from yaml.nodes import Node

from hardbake.migrate import official
from hardbake.migrate.dfconvert import convert
from hardbake.migrate.dfstage import Ctx, StageBase
from hardbake.migrate.dfwalk import StageWalk, walk
from hardbake.migrate.dockerparse import Dockerfile, DockerfileError, expand, parse
from hardbake.migrate.model import FileKind, FileReport, ImageUse, Match, UseKind
from hardbake.migrate.sources.interface import SourceContext, SourceError
from hardbake.migrate.textfile import TextFile
from hardbake.oci.reference import RegistryRef


def analyse(tf: TextFile, rel: str, ctx: SourceContext, docs: list[Node]) -> FileReport:
    del docs  # a Dockerfile is not YAML
    try:
        df = parse(tf)
    except DockerfileError as e:
        raise SourceError(e.message, e.line) from e
    gargs = df.global_args()
    bases: list[StageBase] = []
    uses: list[ImageUse] = []
    for stage in df.stages:
        parent = df.stage_named(stage.image)
        if parent is not None and parent.index < stage.index and parent.name:
            bases.append(StageBase(stage, parent.index, None))
            continue
        if stage.image.lower() == "scratch":
            bases.append(StageBase(stage, None, None))
            continue
        resolved = expand(stage.image, gargs)
        ref, match = ctx.mapper.match_text(resolved)
        use = ImageUse(
            rel, stage.from_.start_line, UseKind.from_, stage.label, stage.image, resolved, ref, match
        )
        uses.append(use)
        bases.append(StageBase(stage, None, use, _alpine(ref), _origin(ref)))
    walks: list[StageWalk] = []
    for b in bases:
        start = walks[b.parent].final_workdir or "/" if b.parent is not None else "/"
        walks.append(walk(df, b.stage, gargs, start))
    uses.extend(_copy_from_uses(df, rel, ctx))
    context = (ctx.root / rel).parent if (ctx.root / rel).parent.is_dir() else None
    if ctx.root.is_file():
        context = ctx.root.parent
    result = convert(
        df, bases, walks, Ctx(rel, ctx.root if ctx.root.is_dir() else ctx.root.parent, context, ctx.allowed)
    )
    final_uses = []
    for use in uses:
        stage_index = next((b.stage.index for b in bases if b.use is use), None)
        if stage_index is not None and result.variants.get(stage_index) == "dev":
            use = ImageUse(
                use.file,
                use.line,
                use.kind,
                use.context,
                use.text,
                use.resolved,
                use.reference,
                use.match,
                "dev",
            )
        final_uses.append(use)
    edits = {p: tuple(es) for p, es in result.edits.items() if es}
    return FileReport(rel, FileKind.dockerfile, tuple(final_uses), tuple(result.findings), edits)


def _alpine(ref: str | None) -> bool:
    """Alpine-based: an official image's tag says so (`-alpine3.19`), or any image's tag does."""
    if ref is None:
        return False
    r = RegistryRef.parse(ref)
    info = official.read(r)
    if info is not None:
        return info.alpine
    return any(w.startswith("alpine") for w in (r.tag or "").split("-"))


def _origin(ref: str | None) -> str | None:
    if ref is None:
        return None
    r = RegistryRef.parse(ref)
    return "distroless" if r.registry == "gcr.io" and r.repository.startswith("distroless/") else "official"


def _copy_from_uses(df: Dockerfile, rel: str, ctx: SourceContext) -> list[ImageUse]:
    """COPY --from=IMAGE and RUN --mount=...,from=IMAGE: listed (they pull the official image), never rewritten."""
    out = []
    gargs = df.global_args()
    for stage in df.stages:
        for inst in stage.body:
            names = []
            if inst.keyword in ("COPY", "ADD") and inst.flag("from"):
                names.append(inst.flag("from") or "")
            if inst.keyword == "RUN":
                for f in inst.flags:
                    if f.startswith("--mount="):
                        for part in f.split("=", 1)[1].split(","):
                            k, _, v = part.partition("=")
                            if k == "from":
                                names.append(v)
            for name in names:
                target = df.stage_named(name)
                if target is not None and target.index < stage.index:
                    continue
                resolved = expand(name, gargs)
                ref, match = ctx.mapper.match_text(resolved)
                note = "copied from, not run: listed only, never rewritten (the hardened image's files may differ)"
                match = Match(
                    match.confidence,
                    f"{note}; {match.note}" if match.note else note,
                    match.family,
                    match.version,
                    match.distro,
                    match.runtime,
                    match.dev,
                    match.pinned_distro,
                )
                out.append(
                    ImageUse(rel, inst.start_line, UseKind.copy_from, stage.label, name, resolved, ref, match)
                )
    return out
