"""What Compose and Kubernetes rewrites share: replacing one scalar in place, and deciding
whether a container command, probe or healthcheck can run on a runtime image."""

from __future__ import annotations

from dataclasses import dataclass, field

from yaml.nodes import Node, ScalarNode

from hardbake.migrate import families as fam
from hardbake.migrate.model import Edit, Finding, ImageUse, Severity
from hardbake.migrate.sources.interface import SourceContext
from hardbake.migrate.yamlsafe import value_span


@dataclass
class Collected:
    uses: list[ImageUse] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)  # of the file itself
    other: dict[str, list[Edit]] = field(default_factory=dict)  # of files it names (mounted configs)

    def all_edits(self, rel: str) -> dict[str, tuple[Edit, ...]]:
        out = {p: tuple(es) for p, es in self.other.items() if es}
        if self.edits:
            out[rel] = (*out.get(rel, ()), *self.edits)
        return out


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


def replace_scalar(text: str, node: ScalarNode, new: str) -> Edit | None:
    span = value_span(text, node)
    return Edit(span[0], span[1], new) if span else None


def program_problem(argv: list[str], what: str) -> str | None:
    """Why a runtime image cannot run argv (a shell, a tool it lacks), or None."""
    if not argv:
        return None
    prog = argv[0]
    base = prog.rsplit("/", 1)[-1]
    if fam.is_shell(prog):
        return f"{what} runs {prog}: the runtime image has no shell"
    if base.endswith(".sh"):
        return f"{what} runs the shell script {prog}: the runtime image has no shell"
    if base in fam.ABSENT_TOOLS:
        return f"{what} runs {prog}, which the runtime image does not have"
    return None


def rewrite_use(
    text: str,
    use: ImageUse,
    node: ScalarNode,
    ctx: SourceContext,
    blockers: list[str],
    out: Collected,
    root_override: str | None = None,
) -> bool:
    """Rewrite the image scalar of `use` unless blocked; report either way. True if rewritten."""
    m = use.match
    if m.confidence not in ctx.allowed or m.runtime is None:
        return False
    if blockers:
        for b in blockers:
            out.findings.append(
                Finding(
                    use.file,
                    use.line,
                    Severity.blocker,
                    "needs-shell",
                    f"{use.context}: {b}; image left as is",
                )
            )
        return False
    edit = replace_scalar(text, node, m.runtime)
    if edit is None:
        out.findings.append(
            Finding(
                use.file,
                use.line,
                Severity.blocker,
                "yaml-style",
                f"{use.context}: the image is written in a YAML style that cannot be replaced in place",
            )
        )
        return False
    out.edits.append(edit)
    if use.resolved != use.text:
        out.findings.append(
            Finding(
                use.file,
                use.line,
                Severity.warning,
                "variable",
                f"{use.context}: {use.text!r} written out as {m.runtime}; its variables no longer select the image",
            )
        )
    if root_override:
        out.findings.append(
            Finding(
                use.file,
                use.line,
                Severity.warning,
                "root-user",
                f"{use.context}: {root_override} overrides the image's non-root user 65532: the container still runs as root",
            )
        )
    for note in fam.traits(m.family).notes:
        if m.family in fam.DATA_STORES:
            out.findings.append(
                Finding(use.file, use.line, Severity.warning, "data-owner", f"{use.context}: {note}")
            )
    return True
