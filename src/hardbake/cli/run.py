"""`hardbake run`: start a container under a profile through the Docker Engine API."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from hardbake.cli.limits import (
    PROFILE_HELP,
    CpusOpt,
    DeviceOpt,
    EnvOpt,
    HealthOpt,
    MemoryOpt,
    NameOpt,
    PidsOpt,
    RuntimeOpt,
    SetOpt,
    TmpfsOpt,
    UserOpt,
    check_runtime,
    collect_overrides,
)
from hardbake.cli.output import dumps_json, emit, err, out
from hardbake.errors import GateFailed, InputError


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        profile: Annotated[str, typer.Argument(help=PROFILE_HELP)],
        image: Annotated[
            str, typer.Argument(help="Image to run; must be in the local engine unless --pull.")
        ],
        args: Annotated[
            list[str] | None, typer.Argument(help="Arguments after `--` replace the image's CMD.")
        ] = None,
        network: Annotated[
            str | None,
            typer.Option("--network", help="none or host (default: the profile's; max-security uses none)."),
        ] = None,
        memory: MemoryOpt = None,
        cpus: CpusOpt = None,
        pids: PidsOpt = None,
        tmpfs: TmpfsOpt = None,
        device: DeviceOpt = None,
        healthcheck: HealthOpt = None,
        user: UserOpt = None,
        env: EnvOpt = None,
        set_items: SetOpt = None,
        runtime: RuntimeOpt = "auto",
        name: NameOpt = None,
        label: Annotated[
            list[str] | None, typer.Option("--label", help="Extra label KEY=VALUE (repeatable).")
        ] = None,
        pull: Annotated[
            bool, typer.Option("--pull", help="Pull the image if the engine does not have it.")
        ] = False,
        wait: Annotated[
            bool,
            typer.Option("--wait", help="Wait for the container to exit; report its exit code and meaning."),
        ] = False,
        json_flag: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Start IMAGE with PROFILE's limits, hardening and runtime settings (detached).

        Everything `hardbake limits` would generate is applied through the Engine API, including
        an exec-form healthcheck that `docker run --health-cmd` cannot express. With --wait the
        exit code is explained (137: SIGKILL, often the OOM killer) and a non-zero exit fails (1).
        """
        from hardbake.runtime.engine import connect
        from hardbake.runtime.exitcodes import explain_exit
        from hardbake.runtime.launch import start
        from hardbake.runtime.prepare import prepare_plan
        from hardbake.runtime.profile_load import parse_env

        overrides, raw = collect_overrides(
            memory, cpus, pids, tmpfs, device, healthcheck, user, network, set_items
        )
        labels = {}
        for item in label or []:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise InputError(f"--label {item!r}: expected KEY=VALUE")
            labels[key] = value
        client = connect()
        plan = prepare_plan(
            profile,
            image,
            client=client,
            overrides=overrides,
            raw_overrides=raw,
            name=name,
            runtime=check_runtime(runtime),
            env=parse_env(env or []),
            command=args or (),
            labels=labels,
        )
        started = start(client, plan, pull=pull)
        engine_note = plan.engine.storage_quota_note if plan.engine is not None else ""
        shown = [n for n in plan.notes if not (engine_note and n == engine_note and started.warnings)]
        for note in (*shown, *started.warnings):
            err.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
        result: dict[str, object] = {
            "id": started.id,
            "name": started.name,
            "profile": plan.profile.name,
            "image": plan.image.pinned,
            "env": dict(plan.env),
        }
        if not wait:
            if json_flag:
                emit(dumps_json(result), None)
            else:
                out.print(f"started {started.name} ({started.id[:12]}) under profile {plan.profile.name}")
                err.print(
                    f"watch it: hardbake monitor {started.name}; "
                    f"explain a failure: hardbake diagnose {started.name}"
                )
            return
        container = client.containers.get(started.id)
        status = container.wait()
        container.reload()
        code = int(status.get("StatusCode", 0))
        oom = bool(container.attrs.get("State", {}).get("OOMKilled"))
        meaning = explain_exit(code, oom_killed=oom)
        result.update(exit_code=code, oom_killed=oom, meaning=meaning)
        if json_flag:
            emit(dumps_json(result), None)
        else:
            out.print(f"{started.name}: {meaning}")
        if code != 0:
            raise GateFailed(f"{started.name} exited non-zero: {meaning}")
