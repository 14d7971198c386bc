"""`hardbake sbom IMAGE`: the packages of any image as SPDX 2.3, CycloneDX 1.6, a table or JSON."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hardbake import atomic
from hardbake.cli.output import emit, err, out, pick_format
from hardbake.errors import InputError
from hardbake.sbom import ImageInventory, Inventory, inventories, parse_platforms, render
from hardbake.sbom.exclusions import read_lock

FORMATS = ("spdx-json", "cyclonedx-json", "table", "json")
_EXT = {"spdx-json": "spdx.json", "cyclonedx-json": "cdx.json", "json": "json", "table": "txt"}

PLATFORM_HELP = (
    "Platform(s) of a multi-arch image: linux/amd64, a comma-separated list, or `all`; "
    "default: this host's. Several platforms need -o DIR (one file each)."
)
LOCK_HELP = (
    "The image's lock (what `hardbake lock` writes): packages its spec dropped and packages "
    "with every file filtered out are listed as excluded, with the reason."
)


def table_of(inv: Inventory) -> Table:
    os_name = inv.os.pretty_name or inv.os.id if inv.os else "unknown OS"
    t = Table(title=f"{escape(inv.image.name)} ({inv.image.platform}, {escape(os_name)})")
    for col in ("type", "name", "version", "source", "layer", "licence", "found at"):
        t.add_column(col, overflow="fold")
    for p in inv.packages:
        source = f"{p.source} {p.source_version}" if p.source and p.source != p.name else ""
        if p.presence == "partial":
            source = (source + " " if source else "") + f"[yellow]partial {p.files_present}/{p.files}[/]"
        lic = p.licenses.expression or ", ".join(p.licenses.declared)
        t.add_row(
            p.ecosystem.value,
            escape(p.name),
            escape(p.version),
            source,
            "" if p.layer is None else str(p.layer),
            escape(lic if len(lic) < 60 else lic[:57] + "..."),
            escape(p.found_at),
        )
    counts = ", ".join(f"{e.value} {len(inv.by_ecosystem(e))}" for e in inv.ecosystems)
    t.caption = f"{len(inv.packages)} packages ({counts}); identity {inv.image.identity}"
    return t


def _table_text(inv: Inventory) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=200, color_system=None)
    console.print(table_of(inv))
    for e in inv.excluded:
        console.print(f"excluded: {e.name}{' ' + e.version if e.version else ''}: {e.reason}")
    return buf.getvalue()


def _file_for(directory: Path, one: ImageInventory, fmt: str) -> Path:
    plat = str(one.platform).replace("/", "-")
    return directory / f"sbom-{plat}.{_EXT[fmt]}"


def register(app: typer.Typer) -> None:
    app.command("sbom")(sbom_cmd)


def sbom_cmd(
    image: Annotated[
        str,
        typer.Argument(
            help="The image: oci:DIR[:TAG], docker-archive:FILE[:NAME:TAG], docker-daemon:NAME:TAG "
            "(or a registry reference, once the registry client exists)."
        ),
    ],
    fmt: Annotated[
        str,
        typer.Option("--format", help="spdx-json (SPDX 2.3), cyclonedx-json (CycloneDX 1.6), table or json."),
    ] = "table",
    json_flag: Annotated[
        bool, typer.Option("--json", help="Alias of --format json (hardbake's inventory).")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write to FILE atomically (a DIR for several platforms)."),
    ] = None,
    platform: Annotated[str | None, typer.Option("--platform", help=PLATFORM_HELP)] = None,
    lock: Annotated[Path | None, typer.Option("--lock", help=LOCK_HELP)] = None,
) -> None:
    """List every package in IMAGE: Debian (dpkg status and distroless status.d), Alpine (apk), Python (dist-info/egg-info), npm (node_modules), Java (jars, nested one level) and Go binaries, each with its purl, licences, and the layer it came from.

    The image is read once, streamed, with every layer's digest verified; the same image gives the same bytes (namespace and times come from the image). Nothing is written when the image is malformed.
    """
    chosen = pick_format(fmt, json_flag, FORMATS)
    platforms = parse_platforms(platform)
    arch_lock = read_lock(lock) if lock is not None else None
    results = inventories(image, platforms, lock=arch_lock)
    for one in results:
        for w in one.inventory.warnings:
            err.print(f"warning: {escape(w)}")
    if len(results) > 1 and output is None and chosen != "table":
        raise InputError(
            f"{image} has {len(results)} platforms selected; several documents need -o DIR",
            hint="pass -o DIR, or pick one platform with --platform",
        )
    if chosen == "table" and output is None:
        for one in results:
            out.print(table_of(one.inventory))
            for e in one.inventory.excluded:
                out.print(f"[yellow]excluded[/] {escape(e.name)}: {escape(e.reason)}")
        return
    docs = [
        (one, _table_text(one.inventory).encode() if chosen == "table" else render(one.inventory, chosen))
        for one in results
    ]
    if len(docs) == 1:
        emit(docs[0][1].decode(), output)
        return
    assert output is not None
    if output.exists() and not output.is_dir():
        raise InputError(f"-o {output}: several platforms need a directory, and {output} is a file")
    for one, data in docs:
        atomic.write_bytes(_file_for(output, one, chosen), data)
        err.print(f"wrote {escape(str(_file_for(output, one, chosen)))}")
