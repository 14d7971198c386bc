"""`hardbake catalog list`: the shipped images, their tags, variants, distros and platforms."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, out, pick_format

catalog_app = typer.Typer(help="The shipped catalog of hardened images.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")


@catalog_app.command("list")
def list_cmd(
    family: str | None = typer.Argument(None, help="Only this family (python, node, java, ...)."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    json_: bool = typer.Option(False, "--json", help="Alias of --format json."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to FILE."),
) -> None:
    """List the catalog: build any of them with `hardbake build FAMILY:TAG`."""
    from hardbake.oci import Platform
    from hardbake.spec import catalog

    entries = [e for e in catalog.entries() if family is None or e.family == family]
    if pick_format(fmt, json_) == "json":
        emit(
            dumps_json(
                [
                    {
                        "name": e.name,
                        "family": e.family,
                        "version": e.version,
                        "variant": e.variant,
                        "distro": e.distro,
                        "tags": list(e.tags),
                        "platforms": [str(Platform.from_debian(a)) for a in e.archs],
                        "spec": e.path.relative_to(catalog.catalog_root()).as_posix(),
                    }
                    for e in entries
                ]
            ),
            output,
        )
        return
    t = Table(title=f"{len(entries)} catalog images")
    for c in ("name", "version", "variant", "distro", "tags", "platforms"):
        t.add_column(c)
    for e in entries:
        t.add_row(e.name, e.version or "-", e.variant, e.distro, ", ".join(e.tags),
                  ", ".join(str(Platform.from_debian(a)) for a in e.archs))  # fmt: skip
    out.print(t)
    for fam, why in sorted(catalog.NOT_IN_DEBIAN.items()):
        out.print(f"[dim]{fam}: {why}[/]")
