"""`hardbake diagnose`: a container's limits against its usage, why it stopped, and what to do next."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, out, pick_format

_STATUS_STYLE = {"ok": "green", "near": "yellow", "at-limit": "bold red", "unset": "yellow", "info": "dim"}


def register(app: typer.Typer) -> None:
    @app.command("diagnose")
    def diagnose(
        container: Annotated[str, typer.Argument(help="Container name or ID (running or stopped).")],
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
        json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
        logs: Annotated[
            int, typer.Option("--logs", help="How many last log lines to include (0: none).")
        ] = 10,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the report here (atomically).")
        ] = None,
    ) -> None:
        """Explain a container: limits against use, why it stopped, and what to do next.

        Shows limits vs observed use, OOM kill and exit code meaning, restart count, processes
        (listed by the engine: the image has no shell) and the log tail, then concrete next steps.
        """
        from hardbake.runtime.diagnose import diagnose as run_diagnosis
        from hardbake.runtime.engine import connect

        chosen = pick_format(fmt, json_flag)
        d = run_diagnosis(connect(), container, log_lines=logs)
        if chosen == "json" or output is not None:
            emit(dumps_json(d.to_json()), output)
            if chosen == "json":
                return
        out.print(f"[bold]{escape(d.name)}[/] ({d.container_id[:12]}) image {escape(d.image)}: {d.status}")
        if d.exit_meaning:
            style = "bold red" if d.exit_code else "green"
            out.print(f"[{style}]{escape(d.exit_meaning)}[/]")
        if d.oom_killed:
            out.print("[bold red]OOMKilled: true[/]")
        out.print(f"restarts: {d.restart_count}")
        table = Table(title="limits vs observed")
        for col in ("setting", "configured", "observed", "status"):
            table.add_column(col)
        for row in d.limits:
            style = _STATUS_STYLE.get(row.status, "")
            table.add_row(row.name, escape(row.configured), escape(row.observed), f"[{style}]{row.status}[/]")
        out.print(table)
        if d.processes:
            procs = Table(title="processes (engine top)")
            titles = list(d.processes[0])
            for t in titles:
                procs.add_column(t)
            for p in d.processes:
                procs.add_row(*(escape(p.get(t, "")) for t in titles))
            out.print(procs)
        if d.log_tail:
            out.print("[bold]last log lines[/]")
            for line in d.log_tail:
                out.print("  " + escape(line), highlight=False)
        out.print("[bold]next steps[/]")
        for i, step in enumerate(d.next_steps, 1):
            out.print(f"  {i}. {escape(step)}", highlight=False)
