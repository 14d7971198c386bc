"""`hardbake sla`: time from "a fix is in the archive" to "a fixed image is published", by severity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, err, out, pick_format


def _sinks(alerts_jsonl: Path | None, webhook: str | None) -> list[Any]:
    from hardbake.watch import alerts

    sinks: list[Any] = [alerts.TerminalSink(lambda s: err.print(f"[yellow]{escape(s)}[/]", highlight=False))]
    if alerts_jsonl is not None:
        sinks.append(alerts.JsonLinesSink(alerts_jsonl))
    if webhook is not None:
        sinks.append(alerts.WebhookSink(webhook))
    return sinks


def alert_after_run(
    state: Any, policy_path: Path | None, alerts_jsonl: Path | None, webhook: str | None
) -> int:
    """Evaluate the SLA and send the alerts that are due; returns how many deliveries were made."""
    from hardbake.watch import alerts, sla

    policy = sla.Policy.load(policy_path) if policy_path else sla.Policy()
    now = state.clock()
    due = alerts.due(sla.evaluate(state.vulns(), policy, now), now)
    if not due:
        return 0
    sinks = _sinks(alerts_jsonl, webhook)
    try:
        sent = alerts.dispatch(due, sinks, state)
    finally:
        for s in sinks:
            if isinstance(s, alerts.WebhookSink):
                if s.failed:
                    err.print(f"[red]webhook {escape(s.url)}: {s.failed} alert(s) not delivered ({s.last_error}); "
                              "they are sent again next time[/]")  # fmt: skip
                s.close()
    return len(sent)


def _secs(v: int | None) -> str:
    from datetime import timedelta

    from hardbake.watch.duration import format_duration

    return format_duration(timedelta(seconds=v)) if v is not None else "-"


def _table(doc: dict[str, Any]) -> None:
    t = Table(title=f"patch SLA ({doc['generatedAt']})")
    for col in ("severity", "limit", "open", "warning", "breached", "fixed", "met", "missed",
                "median time to fix", "upstream", "oldest upstream"):  # fmt: skip
        t.add_column(col)
    for s in doc["bySeverity"]:
        t.add_row(
            s["severity"], s["limit"], str(s["open"]), str(s["warning"]),
            f"[red]{s['breached']}[/]" if s["breached"] else "0", str(s["fixed"]), str(s["met"]),
            f"[red]{s['missed']}[/]" if s["missed"] else "0", _secs(s["medianTimeToFixSeconds"]),
            str(s["upstream"]), _secs(s["oldestUpstreamSeconds"]),
        )  # fmt: skip
    out.print(t)
    for title, key, col, secs in (
        ("fix available, not yet published", "open", "status", "remainingSeconds"),
        ("upstream: no fix in Debian yet", "upstream", "debianState", "ageSeconds"),
        ("fixed (time to fix)", "fixed", "status", "ageSeconds"),
    ):
        if not doc[key]:
            continue
        t = Table(title=title)
        for c in ("image", "vulnerability", "package", "severity", "KEV", col, "time"):
            t.add_column(c)
        for i in doc[key]:
            t.add_row(
                i["image"], i["vulnerability"], i["package"], i["severity"], "yes" if i["knownExploited"] else "",
                i[col], _secs(i[secs]),
            )  # fmt: skip
        out.print(t)


def sla_cmd(
    state: Annotated[
        Path | None,
        typer.Option(
            "--state", envvar="HARDBAKE_STATE", help="State DB of `hardbake watch` (default: in the cache)."
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="YAML/JSON: limits per severity (critical: 7d ...), known-exploited (1d), warn-before (25% or 2d).",
        ),
    ] = None,
    image: Annotated[str | None, typer.Option("--image", help="Only this image (family:tag).")] = None,
    alerts_jsonl: Annotated[
        Path | None, typer.Option("--alerts-jsonl", help="Append due alerts to FILE as JSON lines.")
    ] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST due alerts (JSON) to URL.")] = None,
    fail_on_breach: Annotated[
        bool,
        typer.Option("--fail-on-breach", help="Exit 1 when a fixable vulnerability is past its deadline."),
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, json or markdown.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the report to FILE.")] = None,
) -> None:
    """Report each vulnerability of the published images against the patch SLA.

    The clock starts when a fixed package is in the archive and stops when a rebuilt image
    without it is published. Vulnerabilities Debian has not fixed (unfixed, no-dsa,
    postponed, ...) are listed apart as upstream's, with their age. Alerts (terminal, JSON
    lines, webhook) go out for warnings and breaches not yet alerted.
    """
    from hardbake import paths
    from hardbake.errors import GateFailed, InputError
    from hardbake.watch import sla
    from hardbake.watch.state import StateDB

    chosen = pick_format(fmt, json_flag, ("table", "json", "markdown"))
    state_path = (state or paths.state_file()).expanduser()
    if not state_path.is_file():
        raise InputError(f"no state DB at {state_path}", hint="run `hardbake watch` first, or pass --state")
    pol = sla.Policy.load(policy) if policy else sla.Policy()
    with StateDB.open(state_path) as db:
        now = datetime.now(UTC)
        items = sla.evaluate(db.vulns(image), pol, now)
        doc = sla.report(items, pol, now)
        if chosen == "json":
            emit(dumps_json(doc), output)
        elif chosen == "markdown":
            emit(sla.markdown(doc), output)
        else:
            _table(doc)
            if output is not None:
                emit(dumps_json(doc), output)
        alert_after_run(db, policy, alerts_jsonl, webhook)
    breached = [i for i in items if i.status == "breached"]
    if fail_on_breach and breached:
        raise GateFailed(f"{len(breached)} fixable vulnerabilit{'y is' if len(breached) == 1 else 'ies are'} "
                         "past the SLA deadline")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("sla")(sla_cmd)
