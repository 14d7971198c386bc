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
    dev_image: str | None = typer.Option(
        None, "--dev-image", help="For steps that run the dev variant: use this image instead of building it."
    ),
    runtime_image: str | None = typer.Option(
        None,
        "--runtime-image",
        help="For steps that run the runtime variant: use this image instead of building it.",
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
    from hardbake.build.pipeline import BuildOptions, build, resolve_spec, variant_twin
    from hardbake.imagetest.runner import run_all
    from hardbake.oci import Platform
    from hardbake.oci.reference import DaemonRef, RegistryRef
    from hardbake.spec.model import Variant

    chosen = pick_format(fmt, json_)
    loaded, tag, _ = resolve_spec(spec)
    try:
        import docker

        engine = docker.from_env(timeout=300)
        engine.ping()
    except Exception as e:
        raise ToolMissing(f"no Docker engine answers ({e})", hint="start one (scripts/docker-up)") from e
    given = {Variant.dev: dev_image, Variant.runtime: runtime_image}
    others = {s.variant for s in loaded.spec.tests if s.variant not in (None, loaded.spec.variant)}
    variant_images = {v.value: ref for v in others if v is not None and (ref := given[v])}
    client = None
    platform = Platform.from_debian(arch) if arch else None

    def make(ref: str, name: str, variant: Variant | None) -> None:
        nonlocal client
        client = client or ao.make_client(mirror, security_mirror, None, None, offline)
        opts = BuildOptions(
            outputs=[DaemonRef(RegistryRef.parse(name))],
            archs=[arch] if arch else None,
            platform=platform,
            variant=variant,
        )
        with err.status(f"building {name}"):
            build(ref, client, opts)

    if image is None:
        image = f"hardbake/{loaded.spec.name}:{tag}"
        make(spec, image, None)
    for v in sorted({v for v in others if v is not None and v.value not in variant_images}):
        ref, as_variant = variant_twin(spec, v)
        _, twin_tag, _ = resolve_spec(ref)
        if as_variant is not None:
            twin_tag = twin_tag + "-dev" if v == Variant.dev else twin_tag.removesuffix("-dev")
        variant_images[v.value] = f"hardbake/{loaded.spec.name}:{twin_tag}"
        make(ref, variant_images[v.value], as_variant)
    results = run_all(engine, image, loaded.spec, loaded.path.parent, variant_images=variant_images)
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
