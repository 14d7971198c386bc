"""`hardbake resolve`: the closure of some packages, as a table, JSON or a lock file."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hardbake.cli import archive_options as ao
from hardbake.cli.output import dumps_json, emit, out, pick_format
from hardbake.debian.lock import ArchLock


def register(app: typer.Typer) -> None:
    app.command("resolve")(resolve_cmd)


def resolve_cmd(
    packages: list[str] = typer.Argument(..., help="Packages: NAME, NAME=VERSION (pin) or !NAME (exclude)."),
    suite: list[str] = ao.SUITE,
    arch: str = ao.ARCH,
    drop: list[str] = typer.Option(
        None, "--drop", help="PKG=REASON: cut every dependency on PKG (repeatable)."
    ),
    why: str | None = typer.Option(None, "--why", help="Show the chain of dependencies that pulled PKG in."),
    fmt: str = typer.Option("table", "--format", help="table or json (the lock of this architecture)."),
    json_: bool = typer.Option(False, "--json", help="Alias of --format json."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the result to FILE (atomically)."),
    mirror: str | None = ao.MIRROR,
    security_mirror: str | None = ao.SECURITY_MIRROR,
    keyring: Path | None = ao.KEYRING,
    repo: list[str] = ao.REPO,
    offline: bool = ao.OFFLINE,
    refresh: bool = ao.REFRESH,
) -> None:
    """Resolve PACKAGES against verified Debian indices: Depends and Pre-Depends only.

    Highest version wins across the suites (security > updates > release on ties).
    Exit 2 when a package does not exist or dependencies cannot be met.
    """
    chosen = pick_format(fmt, json_)
    client = ao.make_client(mirror, security_mirror, keyring, repo, offline, refresh)
    lock = client.lock(packages, ao.split_suites(suite), arch, ao.parse_drops(drop))
    if why:
        emit(_why_text(lock, why), output)
        return
    if chosen == "json":
        emit(dumps_json(lock.to_json()), output)
        return
    table = Table(title=f"{len(lock.packages)} packages for {arch}", show_lines=False)
    for col in ("package", "version", "arch", "source", "suite", "size"):
        table.add_column(col, justify="right" if col == "size" else "left")
    for p in lock.packages:
        table.add_row(p.name, p.version, p.arch, p.source, p.suite, f"{p.size:,}")
    total = sum(p.size for p in lock.packages)
    table.caption = f"{total:,} bytes to download"
    if output:
        emit(dumps_json(lock.to_json()), output)
    out.print(table)
    for c in lock.cuts:
        out.print(f"[yellow]cut[/] {c.package} {c.field}: {c.relation}  (dropped {c.dropped}: {c.reason})")


def _why_text(lock: ArchLock, name: str) -> str:
    if lock.package(name) is None:
        cut = [c for c in lock.cuts if c.dropped == name]
        if cut:
            return "".join(
                f"{name} was dropped ({c.reason}); cut: {c.package} {c.field}: {c.relation}\n" for c in cut
            )
    lines = []
    for depth, (pkg, via) in enumerate(lock.why(name)):
        lines.append(("  " * depth) + pkg + (f"    <- {via}" if via else "    (requested)"))
    return "\n".join(lines) + "\n"
