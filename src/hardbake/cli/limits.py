"""`hardbake limits`: a resource-limit profile as `docker run` flags, a Compose service or a Kubernetes
workload, pinned by digest where the engine knows the image, with runtime-aware settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, err, out
from hardbake.errors import InputError

# The library is imported inside the commands: `hardbake --help` and the other verbs should not
# pay for building the profile models.

PROFILE_HELP = (
    "A built-in profile (dev, staging, production, max-security) or a profile YAML file "
    "(`extends: production` plus the fields to change)."
)
MemoryOpt = Annotated[
    str | None, typer.Option("--memory", "-m", help="Memory limit (512m, 1g); swap stays off.")
]
CpusOpt = Annotated[str | None, typer.Option("--cpus", help="CPU limit (0.5, 2).")]
PidsOpt = Annotated[int | None, typer.Option("--pids-limit", help="Maximum processes and threads.")]
TmpfsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tmpfs",
        help="Replace the profile's tmpfs mounts: PATH:size=50m[,noexec,nosuid,nodev] (repeatable).",
    ),
]
DeviceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--device", help="Block device the profile's I/O rates apply to, e.g. /dev/sda (repeatable)."
    ),
]
HealthOpt = Annotated[
    str | None,
    typer.Option(
        "--healthcheck", help="Healthcheck program and arguments, exec form (the image has no shell)."
    ),
]
UserOpt = Annotated[
    str | None, typer.Option("--user", help="Numeric UID[:GID]; default: the image's, else 65532:65532.")
]
EnvOpt = Annotated[
    list[str] | None, typer.Option("--env", "-e", help="Extra environment KEY=VALUE (repeatable).")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Override any profile field: FIELD=VALUE, e.g. --set read_only=false (repeatable)."
    ),
]
RuntimeOpt = Annotated[
    str,
    typer.Option(
        "--runtime",
        help="Runtime for memory-aware settings: auto (detect), node, java, go, python, python-web, none.",
    ),
]
NameOpt = Annotated[
    str | None, typer.Option("--name", help="Container / service name (default: the image's name).")
]
NoEngineOpt = Annotated[
    bool, typer.Option("--no-engine", help="Do not ask the Docker engine about the image (no digest pin).")
]

RUNTIMES = ("auto", "node", "java", "go", "python", "python-web", "none")


def collect_overrides(
    memory: str | None,
    cpus: str | None,
    pids: int | None,
    tmpfs: list[str] | None,
    devices: list[str] | None,
    healthcheck: str | None,
    user: str | None,
    network: str | None,
    set_items: list[str] | None,
) -> tuple[dict[str, Any], list[str]]:
    from hardbake.runtime.profile_load import overrides_from_flags

    return overrides_from_flags(
        memory=memory,
        cpus=cpus,
        pids=pids,
        tmpfs=tmpfs or (),
        devices=devices or (),
        healthcheck=healthcheck,
        user=user,
        network=network,
        set_items=set_items or (),
    )


def check_runtime(runtime: str) -> str:
    if runtime not in RUNTIMES:
        raise InputError(f"unknown --runtime {runtime!r}", hint=f"choose one of: {', '.join(RUNTIMES)}")
    return runtime


def profiles_table() -> Table:
    from hardbake.runtime.profile import BUILTIN
    from hardbake.runtime.units import cpus_text, docker_size

    table = Table(title="built-in profiles (swap always equals memory)")
    for col in (
        "profile",
        "memory",
        "cpus",
        "pids",
        "read-only",
        "tmpfs",
        "storage",
        "network",
        "restart",
        "logs",
    ):
        table.add_column(col)
    for p in BUILTIN.values():
        table.add_row(
            p.name,
            docker_size(p.memory)
            + (f" (request {docker_size(p.memory_request)})" if p.memory_request else ""),
            cpus_text(p.cpus) + (f" (request {cpus_text(p.cpu_request)})" if p.cpu_request else ""),
            str(p.pids or "-"),
            "yes" if p.read_only else "no",
            ", ".join(f"{t.path} {t.docker_options()}" for t in p.tmpfs) or "-",
            docker_size(p.storage) if p.storage else "-",
            p.network or "default",
            p.restart,
            f"{docker_size(p.log.max_size)} x {p.log.max_file}" if p.log else "-",
        )
    return table


def register(app: typer.Typer) -> None:
    @app.command("limits")
    def limits(
        profile: Annotated[str | None, typer.Argument(help=PROFILE_HELP)] = None,
        image: Annotated[
            str | None,
            typer.Option("--image", "-i", help="Image reference; pinned by digest when the engine knows it."),
        ] = None,
        fmt: Annotated[
            str, typer.Option("--format", "-f", help="docker (run flags), compose or k8s.")
        ] = "docker",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write here (atomically), not stdout.")
        ] = None,
        kind: Annotated[
            str, typer.Option("--kind", help="Kubernetes workload: deployment or pod.")
        ] = "deployment",
        list_profiles: Annotated[
            bool, typer.Option("--list", help="Show the built-in profiles and exit.")
        ] = False,
        json_flag: Annotated[
            bool, typer.Option("--json", help="With --list: JSON instead of a table.")
        ] = False,
        memory: MemoryOpt = None,
        cpus: CpusOpt = None,
        pids: PidsOpt = None,
        tmpfs: TmpfsOpt = None,
        device: DeviceOpt = None,
        healthcheck: HealthOpt = None,
        user: UserOpt = None,
        network: Annotated[
            str | None, typer.Option("--network", help="none, host, or a network name.")
        ] = None,
        env: EnvOpt = None,
        set_items: SetOpt = None,
        runtime: RuntimeOpt = "auto",
        name: NameOpt = None,
        no_engine: NoEngineOpt = False,
    ) -> None:
        """Print a profile as exact `docker run` flags, a Compose service or a Kubernetes spec.

        The document starts with comments explaining each choice: the digest pin, the limits,
        the runtime settings derived from the memory limit, and anything a format cannot say.
        """
        from hardbake.runtime.formats.interface import OutputFormat, render
        from hardbake.runtime.formats.kubernetes import KINDS
        from hardbake.runtime.profile import BUILTIN
        from hardbake.runtime.profile_load import parse_env

        if list_profiles or profile is None:
            if json_flag:
                emit(dumps_json({n: p.model_dump(mode="json") for n, p in BUILTIN.items()}), output)
            else:
                out.print(profiles_table())
            if profile is None and not list_profiles:
                err.print("give a PROFILE and --image IMAGE to generate a configuration")
            return
        if image is None:
            raise InputError(
                "--image is required: the image the configuration runs", hint="e.g. --image node:20"
            )
        try:
            chosen = OutputFormat(fmt)
        except ValueError as e:
            raise InputError(f"unknown --format {fmt!r}", hint="choose docker, compose or k8s") from e
        if kind not in KINDS:
            raise InputError(f"unknown --kind {kind!r}", hint=f"choose one of: {', '.join(KINDS)}")
        overrides, raw = collect_overrides(
            memory, cpus, pids, tmpfs, device, healthcheck, user, network, set_items
        )
        from hardbake.errors import EnvError
        from hardbake.runtime.engine import connect
        from hardbake.runtime.prepare import prepare_plan

        try:
            client = None if no_engine else connect()
        except EnvError as e:
            raise EnvError(
                e.message, hint="start the engine, or pass --no-engine to skip the digest pin"
            ) from e
        plan = prepare_plan(
            profile,
            image,
            client=client,
            overrides=overrides,
            raw_overrides=raw,
            name=name,
            runtime=check_runtime(runtime),
            env=parse_env(env or []),
        )
        emit(render(plan, chosen, k8s_kind=kind), output)
        if output is not None:
            err.print(
                f"wrote {chosen.value} configuration for profile {plan.profile.name} to {output}",
                soft_wrap=True,
            )
            for note in plan.notes:
                err.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
