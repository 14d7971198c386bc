"""`hardbake monitor`: live container figures, threshold alerts and explained engine events."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from hardbake.cli.output import err, pick_format
from hardbake.runtime.units import human_size


def _pct(value: float | None, threshold: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.1f}%"
    return f"[bold red]{text}[/]" if threshold is not None and value > threshold else text


def tick_table(tick: Any, mem_threshold: float | None, cpu_threshold: float | None) -> Table:
    table = Table(
        title="hardbake monitor", caption="CPU % as docker stats (100% = one core); CPU/LIMIT % of --cpus"
    )
    for col in ("NAME", "CPU %", "CPU/LIMIT", "MEM USAGE / LIMIT", "MEM %", "PIDS", "NET I/O", "BLOCK I/O"):
        table.add_column(col, justify="left" if col == "NAME" else "right")
    for s in tick.samples:
        pids = f"{s.pids}/{s.pids_limit}" if s.pids_limit else str(s.pids)
        if s.pids_limit and s.pids >= s.pids_limit:
            pids = f"[bold red]{pids}[/]"
        table.add_row(
            escape(s.name),
            "-" if s.cpu_percent is None else f"{s.cpu_percent:.1f}%",
            _pct(s.cpu_of_limit, cpu_threshold),
            f"{human_size(s.memory_used)} / {human_size(s.memory_limit)}",
            _pct(s.memory_percent, mem_threshold),
            pids,
            f"{human_size(s.net_rx)} / {human_size(s.net_tx)}",
            f"{human_size(s.block_read)} / {human_size(s.block_write)}",
        )
    return table


def register(app: typer.Typer) -> None:
    @app.command("monitor")
    def monitor(
        containers: Annotated[
            list[str] | None,
            typer.Argument(help="Containers (names or IDs); none = every running container."),
        ] = None,
        memory_threshold: Annotated[
            float, typer.Option("--memory-threshold", help="Alert above this % of the memory limit.")
        ] = 80.0,
        cpu_threshold: Annotated[
            float,
            typer.Option(
                "--cpu-threshold", help="Alert above this % of the CPU limit (of one core if none)."
            ),
        ] = 75.0,
        pids_threshold: Annotated[
            float, typer.Option("--pids-threshold", help="Alert above this % of the pids limit.")
        ] = 90.0,
        hysteresis: Annotated[
            float,
            typer.Option(
                "--hysteresis", help="Points below a threshold a value must fall before it can alert again."
            ),
        ] = 10.0,
        interval: Annotated[
            float, typer.Option("--interval", help="Seconds between refreshes and alert checks.")
        ] = 5.0,
        fmt: Annotated[
            str, typer.Option("--format", "-f", help="table (live) or jsonl (one JSON record a line).")
        ] = "table",
        json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format jsonl.")] = False,
        prometheus: Annotated[
            str | None,
            typer.Option("--prometheus", help="Serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9323)."),
        ] = None,
        webhook: Annotated[
            str | None,
            typer.Option(
                "--webhook", help="POST each alert and event as JSON to this URL (background, retried)."
            ),
        ] = None,
        webhook_attempts: Annotated[
            int, typer.Option("--webhook-attempts", help="Delivery attempts per alert.")
        ] = 4,
        duration: Annotated[
            float | None, typer.Option("--duration", help="Stop after this many seconds.")
        ] = None,
        count: Annotated[int | None, typer.Option("--count", help="Stop after this many refreshes.")] = None,
    ) -> None:
        """Watch containers live: CPU, memory % of limit, pids, network and block I/O.

        Alerts fire once per threshold crossing (hysteresis stops a flapping value from
        repeating them); OOM kills, non-zero exits and restarts come from the engine's event
        stream with their meaning (exit 137: SIGKILL, often the OOM killer).
        """
        from hardbake.runtime.alerts import Alert, Thresholds
        from hardbake.runtime.engine import connect
        from hardbake.runtime.events import EngineEvent
        from hardbake.runtime.monitor import Monitor, Record, Tick

        if TYPE_CHECKING:
            from hardbake.runtime.metrics import PrometheusExporter
            from hardbake.runtime.webhook import WebhookSender

        chosen = pick_format("jsonl" if json_flag else fmt, False, ("table", "jsonl"))
        try:
            thresholds = Thresholds(memory_threshold, cpu_threshold, pids_threshold, hysteresis)
        except ValueError as e:
            from hardbake.errors import InputError

            raise InputError(str(e)) from e
        if webhook is not None:
            from hardbake.webhook import check_url

            check_url(webhook)
        client = connect()
        mon = Monitor(client, containers or (), thresholds=thresholds, interval=interval)
        stop = threading.Event()
        console = Console(soft_wrap=True)
        sinks: list[Any] = []
        exporter: PrometheusExporter | None = None
        sender: WebhookSender | None = None
        if prometheus is not None:
            from hardbake.runtime.metrics import PrometheusExporter, is_loopback

            exporter = PrometheusExporter(prometheus)
            if not is_loopback(exporter.host):
                err.print(
                    f"[yellow]warning:[/] metrics served on {exporter.host}, not loopback: "
                    "anyone who reaches it can read them"
                )
            exporter.start()
            err.print(f"Prometheus metrics on http://{exporter.host}:{exporter.port}/metrics")

            def to_prometheus(record: Record) -> None:
                assert exporter is not None
                if isinstance(record, Tick):
                    exporter.samples(record.samples)
                elif isinstance(record, Alert):
                    exporter.alert(record)
                else:
                    exporter.event(record)

            sinks.append(to_prometheus)
        if webhook is not None:
            from hardbake.runtime.webhook import WebhookSender

            sender = WebhookSender(webhook, attempts=webhook_attempts)

            def to_webhook(record: Record) -> None:
                assert sender is not None
                if isinstance(record, Alert | EngineEvent):
                    sender.submit({**record.to_json(), "text": record.message, "source": "hardbake monitor"})

            sinks.append(to_webhook)
        live: Live | None = None
        if chosen == "jsonl":

            def to_stdout(record: Record) -> None:
                items = (
                    [s.to_json() for s in record.samples] if isinstance(record, Tick) else [record.to_json()]
                )
                for item in items:
                    sys.stdout.write(json.dumps(item, sort_keys=True) + "\n")
                sys.stdout.flush()

        else:
            if console.is_terminal:
                live = Live(console=console, auto_refresh=False, transient=False)
                live.start()

            def to_stdout(record: Record) -> None:
                if isinstance(record, Tick):
                    table = tick_table(record, memory_threshold, cpu_threshold)
                    if live is not None:
                        live.update(table, refresh=True)
                    else:
                        console.print(table)
                else:
                    style = (
                        "bold red" if isinstance(record, EngineEvent) or record.state == "firing" else "green"
                    )
                    console.print(f"[{style}]{escape(record.message)}[/]", highlight=False)

        sinks.insert(0, to_stdout)
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            summary = mon.run(sinks, duration=duration, count=count, stop=stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if live is not None:
                live.stop()
            if exporter is not None:
                exporter.close()
        text = (
            f"monitor: {summary.ticks} refreshes, {len(summary.containers)} containers, "
            f"{summary.alerts} alerts, {summary.events} events"
        )
        if sender is not None:
            stats = sender.close(flush_timeout=5.0)
            text += (
                f"; webhook: {stats.delivered} delivered, {stats.failed} failed, {stats.dropped} dropped"
                + (f" (last error: {stats.last_error})" if stats.last_error else "")
            )
        err.print(escape(text), highlight=False, soft_wrap=True)
