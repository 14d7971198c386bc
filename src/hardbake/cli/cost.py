"""`hardbake cost`: monthly cost of requested CPU and memory, and the saving of limits and right-sizing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, err, out, pick_format
from hardbake.errors import InputError
from hardbake.runtime.units import cpus_text, docker_size


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "-"
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{symbol}{value:,.2f}"


def register(app: typer.Typer) -> None:
    @app.command("cost")
    def cost(
        source: Annotated[
            str,
            typer.Option(
                "--from",
                help="A Compose file, a Kubernetes manifest, a profile file, or a built-in profile name.",
            ),
        ],
        prices: Annotated[
            Path | None,
            typer.Option("--prices", help="Price table YAML (per_hour: {vcpu, gib} and/or sizes: [...])."),
        ] = None,
        observed: Annotated[
            str | None,
            typer.Option(
                "--observed", help="Usage to right-size from: a `monitor --format jsonl` capture, or `live`."
            ),
        ] = None,
        observe_for: Annotated[
            float,
            typer.Option("--observe-for", help="With --observed live: seconds to sample running containers."),
        ] = 15.0,
        headroom: Annotated[
            float, typer.Option("--headroom", help="Headroom over observed use, in % (right-sizing).")
        ] = 20.0,
        basis: Annotated[
            str, typer.Option("--basis", help="Price limits (what may be used; Fargate-style) or requests.")
        ] = "limits",
        replicas: Annotated[
            int, typer.Option("--replicas", help="Containers running a profile (--from PROFILE).")
        ] = 1,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
        json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the report here (atomically).")
        ] = None,
    ) -> None:
        """Monthly cost of requested CPU and memory, and what limits and right-sizing save.

        Compared with the article's "without limits" baseline (2 vCPU / 4 GB) and, with
        --observed, with sizes derived from observed use (memory peak, CPU p95, plus headroom).
        """
        from hardbake.runtime.cost import DEFAULT_PRICES, estimate, load_prices
        from hardbake.runtime.engine import connect
        from hardbake.runtime.observed import Observed, from_jsonl, observe_live
        from hardbake.runtime.workloads import load_workloads

        chosen = pick_format(fmt, json_flag)
        if basis not in ("limits", "requests"):
            raise InputError(f"unknown --basis {basis!r}", hint="choose limits or requests")
        if replicas < 1 or headroom < 0:
            raise InputError("--replicas must be at least 1 and --headroom not negative")
        table_prices = load_prices(prices) if prices is not None else DEFAULT_PRICES
        workloads = load_workloads(source, replicas=replicas)
        seen: dict[str, Observed] | None = None
        if observed == "live":
            err.print(f"observing running containers for {observe_for:g} s ...")
            seen = observe_live(connect(), observe_for)
        elif observed is not None:
            seen = from_jsonl(Path(observed))
        report = estimate(workloads, table_prices, basis=basis, observed=seen, headroom=headroom / 100)
        doc = report.to_json()
        if chosen == "json" or output is not None:
            emit(dumps_json(doc), output)
            if chosen == "json":
                return
        cur = report.currency
        table = Table(
            title=(
                f"monthly cost ({report.hours_per_month:g} h, {report.basis}; "
                f"prices: {escape(report.prices)})"
            )
        )
        with_obs = seen is not None
        cols = ["workload", "x", "cpus", "memory", "priced as", "monthly", "without limits"]
        if with_obs:
            cols += ["observed p95 / peak", "right-sized", "right-sized monthly"]
        for col in cols:
            table.add_column(col, justify="left" if col in ("workload", "priced as") else "right")
        for line in report.lines:
            row = [
                escape(line.workload),
                str(line.replicas),
                cpus_text(line.cpus),
                docker_size(line.memory),
                escape(line.priced_as),
                _money(line.monthly, cur),
                _money(line.baseline_monthly, cur),
            ]
            if with_obs:
                obs = rec = "-"
                if line.observed_cpu_p95 is not None and line.observed_peak_memory is not None:
                    peak = docker_size(line.observed_peak_memory) if line.observed_peak_memory else "0"
                    obs = f"{line.observed_cpu_p95:.2f} / {peak}"
                if line.recommended_cpus is not None and line.recommended_memory is not None:
                    rec = f"{cpus_text(line.recommended_cpus)} / {docker_size(line.recommended_memory)}"
                row += [obs, rec, _money(line.recommended_monthly, cur)]
            table.add_row(*row)
        out.print(table)
        out.print(
            f"total: {_money(report.total_monthly, cur)} a month, "
            f"{_money(report.total_monthly * 12, cur)} a year"
        )
        if report.total_baseline is not None:
            saving = report.total_baseline - report.total_monthly
            out.print(
                f"without limits (baseline): {_money(report.total_baseline, cur)} a month; limits save "
                f"{_money(saving, cur)} a month ({_money(saving * 12, cur)} a year)"
            )
        if report.total_recommended is not None:
            saving = report.total_monthly - report.total_recommended
            out.print(
                f"right-sized from observed use (+{headroom:g}% headroom): "
                f"{_money(report.total_recommended, cur)} "
                f"a month, saving {_money(saving, cur)} a month"
            )
        for line in report.lines:
            if line.note:
                err.print(
                    f"note: {escape(line.workload)}: {escape(line.note)}", highlight=False, soft_wrap=True
                )
