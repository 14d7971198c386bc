"""`hardbake build`, `hardbake lock` and `hardbake spec schema`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from hardbake.build.devimage import AptSources
from hardbake.build.pipeline import BuildOptions, BuildResult, build, resolve_spec
from hardbake.build.plan import lock_spec
from hardbake.cli import archive_options as ao
from hardbake.cli.output import dumps_json, emit, err, out, pick_format
from hardbake.errors import InputError
from hardbake.oci import Platform
from hardbake.oci.reference import DaemonRef, LayoutRef, RegistryRef, parse_image_ref
from hardbake.spec.model import ImageSpec, Variant

spec_app = typer.Typer(help="The image spec format.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("build")(build_cmd)
    app.command("lock")(lock_cmd)
    app.add_typer(spec_app, name="spec")


@spec_app.command("schema")
def schema_cmd(output: Path | None = typer.Option(None, "-o", "--output", help="Write to FILE.")) -> None:
    """Print the JSON Schema of image specs (generated from the typed model)."""
    schema = ImageSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "hardbake image spec"
    emit(json.dumps(schema, indent=2, sort_keys=True) + "\n", output)


def lock_cmd(
    spec: str = typer.Argument(..., help="Spec file or catalog name (python:3.13, base:debian12)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Lock file to write (default: stdout)."),
    arch: list[str] = typer.Option(None, "--arch", help="Only these architectures (default: the spec's)."),
    mirror: str | None = ao.MIRROR,
    security_mirror: str | None = ao.SECURITY_MIRROR,
    keyring: Path | None = ao.KEYRING,
    offline: bool = ao.OFFLINE,
    refresh: bool = ao.REFRESH,
) -> None:
    """Resolve a spec's packages for each architecture and write the lock `build --lock` uses."""
    loaded, _, _ = resolve_spec(spec)
    client = ao.make_client(mirror, security_mirror, keyring, None, offline, refresh)
    from hardbake.build.plan import extra_repositories

    client.extra = extra_repositories(loaded)
    lock = lock_spec(loaded, client, arch or None)
    emit(lock.dumps(), output)


def build_cmd(
    spec: str = typer.Argument(
        ..., help="Spec file or catalog name (python:3.13, base:debian12, node:20-dev)."
    ),
    output: list[str] = typer.Option(
        None,
        "-o",
        "--output",
        help="Where the image goes (repeatable): oci:DIR[:TAG], docker-archive:FILE, docker-daemon:NAME:TAG. "
        "Default: oci:out/NAME:TAG.",
    ),
    load: bool = typer.Option(False, "--load", help="Also load into the Docker engine as hardbake/NAME:TAG."),
    lock: Path | None = typer.Option(None, "--lock", help="Build exactly this lock (from `hardbake lock`)."),
    arch: list[str] = typer.Option(
        None, "--arch", help="Only these Debian architectures (default: the spec's)."
    ),
    platform: str | None = typer.Option(
        None, "--platform", help="Platform for single-platform outputs (docker-archive, docker-daemon)."
    ),
    level: int | None = typer.Option(None, "--compression-level", min=0, max=9, help="gzip level of layers."),
    layers: int = typer.Option(
        1,
        "--layers",
        min=1,
        max=127,
        help="At most N layers, grouped by source package (the biggest groups get their own layer), "
        "so images that share packages share layers.",
    ),
    variant: str | None = typer.Option(
        None, "--variant", help="runtime or dev (the -dev twin: + shell, apt, dpkg; runs as root)."
    ),
    image_mirror: str | None = typer.Option(
        None,
        "--image-mirror",
        envvar="HARDBAKE_IMAGE_MIRROR",
        help="Debian mirror written into dev images' apt sources (default: the mirror the build uses).",
    ),
    image_security_mirror: str | None = typer.Option(
        None,
        "--image-security-mirror",
        envvar="HARDBAKE_IMAGE_SECURITY_MIRROR",
        help="Security mirror for dev images.",
    ),
    sign: bool = typer.Option(
        False, "--sign", help="Sign the image and attach provenance, hardening report, SBOMs (and scan/VEX)."
    ),
    key: Path | None = typer.Option(
        None,
        "--key",
        help="Signing key (cosign.key or PEM; password from HARDBAKE_KEY_PASSWORD or a prompt).",
    ),
    registry: str = typer.Option(
        "hardbake",
        "--registry",
        help="Prefix the image will be published under (PREFIX/NAME): the identity in the signature.",
    ),
    fmt: str = typer.Option("table", "--format", help="table or json."),
    json_: bool = typer.Option(False, "--json", help="Alias of --format json."),
    mirror: str | None = ao.MIRROR,
    security_mirror: str | None = ao.SECURITY_MIRROR,
    keyring: Path | None = ao.KEYRING,
    offline: bool = ao.OFFLINE,
    refresh: bool = ao.REFRESH,
) -> None:
    """Build a minimal, reproducible, non-root OCI image from a spec - no Docker needed.

    Resolves and verifies every package, unpacks them without running any maintainer
    script, emulates what those scripts would have done, enforces runtime hardening (no
    shell, no package manager, no setuid, numeric non-root user) and writes the image.
    Exit 2 for a bad spec or a hardening violation, 3 for a network or integrity problem.
    """
    chosen = pick_format(fmt, json_)
    loaded, tag, _ = resolve_spec(spec)
    client = ao.make_client(mirror, security_mirror, keyring, None, offline, refresh)
    from hardbake.build.plan import extra_repositories

    client.extra = extra_repositories(loaded)
    refs = [parse_image_ref(o) for o in output or ()]
    for r in refs:
        if isinstance(r, RegistryRef):
            raise InputError(f"-o {r}: pushing is `hardbake push`; build to oci:DIR first")
    chosen_variant = Variant(variant) if variant else None
    if chosen_variant == Variant.dev and not tag.endswith("-dev"):
        tag += "-dev"
    if load:
        refs.append(DaemonRef(RegistryRef.parse(f"hardbake/{loaded.spec.name}:{tag}")))
    apt_sources = None
    if image_mirror or image_security_mirror:
        apt_sources = AptSources(
            image_mirror or client.mirrors.debian, image_security_mirror or client.mirrors.security
        )
    options = BuildOptions(
        outputs=refs,
        lock=lock,
        archs=arch or None,
        platform=Platform.parse(platform) if platform else None,
        level=level,
        layers=layers,
        variant=chosen_variant,
        apt_sources=apt_sources,
    )
    layout = next((r for r in refs if isinstance(r, LayoutRef)), None)
    if sign:
        if key is None:
            raise InputError("--sign needs --key KEY", hint="make one with `hardbake key generate`")
        if layout is None:
            if refs:
                raise InputError("--sign writes signatures into an OCI layout: add -o oci:DIR[:TAG]")
            layout = LayoutRef(Path("out") / loaded.spec.name, tag)
            refs.append(layout)
            options.outputs = refs
    signing_key = _load_key(key) if sign and key is not None else None
    started = datetime.now(UTC)
    with err.status("building") as status:
        result = build(spec, client, options, progress=lambda s: status.update(s))
    finished = datetime.now(UTC)
    sign_report = None
    if signing_key is not None and layout is not None:
        from hardbake.build.evidence import attach_evidence

        with err.status("signing and attesting"):
            sign_report = attach_evidence(
                result, layout, signing_key, client=client, identity=f"{registry.rstrip('/')}/{result.name}",
                started=started, finished=finished,
            )  # fmt: skip
    if chosen == "json":
        doc = result.to_json()
        if sign_report is not None:
            doc["signing"] = sign_report.to_json()
        emit(dumps_json(doc), None)
        return
    _render(result)
    if sign_report is not None:
        out.print(f"signed and attested: {', '.join(sign_report.attached)}")
        for why in sign_report.skipped:
            out.print(f"[yellow]skipped:[/] {why}")


def _load_key(path: Path) -> Any:
    from hardbake.cli.supplychain import signing_key

    return signing_key(path)


def _render(r: BuildResult) -> None:
    out.print(
        f"[bold]{r.name}:{r.tag}[/]  {r.digest}  ({r.seconds:.1f} s, SOURCE_DATE_EPOCH={r.source_date_epoch})"
    )
    t = Table()
    for col in (
        "platform",
        "digest",
        "compressed",
        "uncompressed",
        "packages",
        "programs on PATH",
        "setuid",
        "user",
    ):
        t.add_column(col)
    for a in r.arches:
        h = a.hardening
        t.add_row(
            a.platform,
            a.digest[:19] + "…",
            f"{a.size:,}",
            f"{a.uncompressed:,}",
            str(len(a.packages)),
            ", ".join(p.rsplit("/", 1)[-1] for p in h["programsOnPath"]["paths"]) or "(none)",
            str(h["setuidFiles"]["count"]),
            h["user"]["user"],
        )
    out.print(t)
    for a in r.arches:
        if a.excluded:
            out.print(f"{a.arch}: not in the image (every file filtered): {', '.join(a.excluded)}")
    for o in r.outputs:
        out.print(f"wrote {o}")
