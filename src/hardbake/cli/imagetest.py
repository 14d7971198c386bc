"""`hardbake test`: build (from cache) and prove an image works, with its spec's tests."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hardbake.cli import archive_options as ao
from hardbake.cli.output import dumps_json, emit, err, out, pick_format
from hardbake.errors import GateFailed, ToolMissing


def register(app: typer.Typer) -> None:
    app.command("test")(test_cmd)


def test_cmd(
    spec: str = typer.Argument(..., help="Spec file or catalog name (python:3.13, node:20-dev)."),
    image: str | None = typer.Option(
        None, "--image", help="Test this image in the Docker engine instead of building NAME:TAG first."
    ),
    arch: str | None = typer.Option(
        None, "--arch", help="Build and test this architecture (qemu for foreign ones)."
    ),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    json_: bool = typer.Option(False, "--json", help="Alias of --format json."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the report to FILE."),
    mirror: str | None = ao.MIRROR,
    security_mirror: str | None = ao.SECURITY_MIRROR,
    offline: bool = ao.OFFLINE,
) -> None:
    """Run the spec's tests against the image in the real Docker engine, hardened.

    Exit 0 when every step passes, 1 when one fails, 3 when no Docker engine answers.
    """
    from hardbake.build.pipeline import BuildOptions, build, resolve_spec
    from hardbake.imagetest.runner import run_all
    from hardbake.oci import Platform
    from hardbake.oci.reference import DaemonRef, RegistryRef

    chosen = pick_format(fmt, json_)
    loaded, tag, _ = resolve_spec(spec)
    try:
        import docker

        engine = docker.from_env(timeout=300)
        engine.ping()
    except Exception as e:
        raise ToolMissing(f"no Docker engine answers ({e})", hint="start one (scripts/docker-up)") from e
    if image is None:
        image = f"hardbake/{loaded.spec.name}:{tag}"
        client = ao.make_client(mirror, security_mirror, None, None, offline)
        platform = Platform.from_debian(arch) if arch else None
        opts = BuildOptions(
            outputs=[DaemonRef(RegistryRef.parse(image))], archs=[arch] if arch else None, platform=platform
        )
        with err.status(f"building {image}"):
            build(spec, client, opts)
    results = run_all(engine, image, loaded.spec, loaded.path.parent)
    failed = [r for r in results if not r.passed]
    if chosen == "json":
        emit(
            dumps_json({"image": image, "passed": not failed, "steps": [r.to_json() for r in results]}),
            output,
        )
    else:
        t = Table(title=f"{image}: {len(results) - len(failed)}/{len(results)} passed")
        for c in ("step", "result", "time", "detail"):
            t.add_column(c)
        for r in results:
            t.add_row(r.name, "[green]pass[/]" if r.passed else "[red]FAIL[/]", f"{r.seconds:.1f}s", r.detail)
        out.print(t)
        for r in failed:
            err.print(f"[red]{r.name}[/] output:\n{r.output[-2000:]}")
    if failed:
        raise GateFailed(f"{len(failed)} of {len(results)} test step(s) failed for {image}")
