"""`hardbake migrate scan|apply|plan`: inventory, rewrite and plan a move to hardened images."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, err, pick_format
from hardbake.errors import GateFailed, InputError
from hardbake.migrate import apply as applying
from hardbake.migrate import plan as planning
from hardbake.migrate import report
from hardbake.migrate.catalogmap import DEFAULT_PREFIX, Mapper, default_catalog
from hardbake.migrate.compare import Comparer, docker_comparer
from hardbake.migrate.model import REWRITABLE, Confidence, Inventory, Severity
from hardbake.migrate.scan import scan

migrate_app = typer.Typer(
    help=(
        "Move Dockerfiles, Compose files and Kubernetes manifests to hardbake's hardened images: "
        "inventory the image references (scan), rewrite them (apply), plan the migration (plan)."
    ),
    no_args_is_help=True,
)

PathArg = Annotated[
    Path,
    typer.Argument(help="A repository directory (searched recursively) or one file.", show_default=False),
]
RegistryOpt = Annotated[
    str,
    typer.Option(
        "--registry",
        help="Prefix REGISTRY\\[/NAMESPACE] under which the hardened images are named PREFIX/<family>:<tag>.",
    ),
]
CatalogOpt = Annotated[
    Path | None,
    typer.Option(
        "--catalog",
        help="A catalog directory laid out like hardbake's own (<family>/<distro>/<name>.yaml); default: the shipped catalog.",
    ),
]
ExactOpt = Annotated[
    bool,
    typer.Option(
        "--exact-only",
        help="Rewrite only exact matches (same family and version); family-only matches are then only reported.",
    ),
]


def _inventory(path: Path, registry: str, exact_only: bool, catalog: Path | None) -> Inventory:
    allowed: tuple[Confidence, ...] = (Confidence.exact,) if exact_only else REWRITABLE
    return scan(path, Mapper(default_catalog(catalog), registry), allowed)


def _problems(inv: Inventory) -> None:
    for s in inv.skipped:
        err.print(f"[dim]skipped[/] {escape(str(s))}", highlight=False)
    for p in inv.problems:
        err.print(f"[bold red]problem[/] {escape(str(p))}", highlight=False)


def _table(inv: Inventory) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=200, soft_wrap=True)
    t = Table(title=f"{len(inv.uses)} image references under {inv.root}")
    for c in report.COLUMNS:
        t.add_column(c, overflow="fold")
    for u in inv.uses:
        t.add_row(*(escape(c) for c in report.use_row(u)))
    console.print(t)
    rows = report.finding_rows(inv, (Severity.blocker, Severity.warning))
    if rows:
        f = Table(title="blockers (left untouched) and warnings")
        for c in ("severity", "where", "code", "message"):
            f.add_column(c, overflow="fold")
        for r in rows:
            f.add_row(*(escape(c) for c in r))
        console.print(f)
    return buf.getvalue()


@migrate_app.command("scan")
def scan_cmd(
    path: PathArg,
    fmt: Annotated[str, typer.Option("--format", help="table, json or markdown.")] = "table",
    json_: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the inventory to FILE (atomically).")
    ] = None,
    registry: RegistryOpt = DEFAULT_PREFIX,
    exact_only: ExactOpt = False,
    catalog: CatalogOpt = None,
) -> None:
    """List every image reference under PATH (Dockerfile FROM and COPY --from, Compose services,
    Kubernetes containers) with file and line, the normalised reference, the hardened equivalent
    and the match confidence: exact (family and version), family (nearest version offered),
    suggestion (a substitute such as mysql -> mariadb, never rewritten), none.

    Exit 2 when a file cannot be read as what it claims (unparsable, binary, a YAML bomb, a symlink loop).
    """
    chosen = pick_format(fmt, json_, ("table", "json", "markdown"))
    inv = _inventory(path, registry, exact_only, catalog)
    text = {
        "json": lambda: dumps_json(inv.to_json()),
        "markdown": lambda: report.markdown(inv),
        "table": lambda: _table(inv),
    }[chosen]()
    emit(text, output)
    _problems(inv)
    if inv.problems:
        raise InputError(f"{len(inv.problems)} files could not be read (listed above)")


@migrate_app.command("apply")
def apply_cmd(
    path: PathArg,
    registry: RegistryOpt = DEFAULT_PREFIX,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the unified diff only; write nothing.")
    ] = False,
    exact_only: ExactOpt = False,
    catalog: CatalogOpt = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Rewrite the readable files even when others cannot be read (default: refuse).",
        ),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when blockers leave files unconverted.")
    ] = False,
) -> None:
    """Rewrite the references under PATH in place to PREFIX/<family>:<tag> and print the unified diff.

    Everything else stays byte for byte. Final stages that need a shell are split into a -dev
    build stage and a runtime stage; pip installs go into a venv (PEP 668); nginx/httpd ports
    move to 8080; USER becomes 65532. A file with a blocker is left untouched and the blocker is
    reported with file, line and reason. Writes are atomic, all files or none.
    """
    inv = _inventory(path, registry, exact_only, catalog)
    _problems(inv)
    if inv.problems and not skip_invalid:
        raise InputError(
            f"{len(inv.problems)} files could not be read; nothing was rewritten",
            hint="fix or remove them, or pass --skip-invalid to rewrite the others",
        )
    changes, problems = applying.rewrites(inv)
    for p in problems:
        err.print(f"[bold red]problem[/] {escape(str(p))}", highlight=False)
    if problems:
        raise InputError(f"{len(problems)} files cannot be rewritten; nothing was rewritten")
    emit("".join(c.diff for c in changes), None)
    for f in inv.findings:
        if f.severity is not Severity.info:
            colour = {"blocker": "bold red", "warning": "yellow", "change": "green"}[f.severity.value]
            err.print(
                f"[{colour}]{f.severity.value}[/] {escape(f.file)}:{f.line} {escape(f.message)}",
                highlight=False,
            )
    blockers = [f for f in inv.findings if f.severity is Severity.blocker]
    if dry_run:
        err.print(f"dry run: {len(changes)} files would change; nothing written")
    else:
        applying.write(changes)
        err.print(f"rewrote {len(changes)} files")
    if blockers:
        err.print(
            f"{len({b.file for b in blockers})} files left untouched because of blockers (listed above)"
        )
        if strict:
            raise GateFailed(f"{len(blockers)} blockers")


def _engine_comparer() -> Comparer | None:
    try:
        import docker

        client: Any = docker.from_env(timeout=60)
        client.ping()
    except Exception as e:  # the SDK raises unrelated types for "no engine"
        err.print(f"[yellow]no Docker engine ({escape(str(e))}): the before/after table will be empty[/]")
        return None
    return docker_comparer(client)


@migrate_app.command("plan")
def plan_cmd(
    path: PathArg,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the plan (Markdown) to FILE (atomically).")
    ] = None,
    registry: RegistryOpt = DEFAULT_PREFIX,
    exact_only: ExactOpt = False,
    catalog: CatalogOpt = None,
    no_compare: Annotated[
        bool,
        typer.Option(
            "--no-compare", help="Skip the before/after figures (they need the local Docker engine)."
        ),
    ] = False,
) -> None:
    """Write the four-phase migration plan (assessment, pilot, rollout, production) for PATH in
    Markdown: which files to convert first (fewest blockers), the blockers of each file, and the
    before/after figures (size, packages, executables) of each image pair the local Docker engine holds.
    """
    inv = _inventory(path, registry, exact_only, catalog)
    _problems(inv)
    comparer = None if no_compare else _engine_comparer()
    emit(planning.render(inv, comparer), output)


def register(app: typer.Typer) -> None:
    app.add_typer(migrate_app, name="migrate")
