"""`hardbake watch`: keep images patched — rebuild, test, sign and publish when the archive moves."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hardbake.cli import archive_options as ao
from hardbake.cli.output import dumps_json, emit, err, out, pick_format


def _engine_getter() -> Any:
    from hardbake.oci import daemon

    cache: list[Any] = []

    def get() -> Any:
        if not cache:
            cache.append(daemon.connect())
        return cache[0]

    return get


def _render(report: Any) -> None:
    kind = "dry run: nothing built" if report.dry_run else f"run {report.run_id}"
    out.print(f"[bold]hardbake watch[/] ({kind}, {report.started_at:%Y-%m-%d %H:%M:%S} UTC)")
    t = Table()
    for col in ("image", "outcome", "why", "digest", "fixed", "time"):
        t.add_column(col)
    colours = {"published": "green", "unchanged": "dim", "would-rebuild": "yellow"}
    for o in report.outcomes:
        digest = "-"
        if o.new_digest and o.new_digest != o.old_digest:
            digest = f"{(o.old_digest or 'none')[:19]} -> {o.new_digest[:19]}"
        elif o.old_digest:
            digest = o.old_digest[:19]
        why = "\n".join(o.reasons) if o.outcome != "unchanged" else ""
        colour = colours.get(o.outcome, "red")
        t.add_row(
            o.image,
            f"[{colour}]{o.outcome}[/]",
            escape(why),
            digest,
            ", ".join(o.vulns_fixed) or "",
            f"{o.seconds:.1f}s" if o.seconds else "",
        )
    out.print(t)
    for o in report.outcomes:
        if o.error:
            err.print(f"[red]{escape(o.image)}[/]: {escape(o.error)}")
        for step in o.tests:
            if not step.get("passed", True):
                err.print(f"[red]{escape(o.image)}[/] test {escape(step['name'])}: {escape(step['detail'])}")
                if step.get("output"):
                    err.print(escape(step["output"][-2000:]), highlight=False)


def watch(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Spec files or catalog names (python:3.13). None: every image of the shipped catalog."
        ),
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            envvar="HARDBAKE_REGISTRY",
            help="Publish to PREFIX/<family>:<tag> (REGISTRY\\[/NAMESPACE]) under every tag of the image. "
            "Default: an OCI layout per family beside the state file (published/<family>).",
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            envvar="HARDBAKE_STATE",
            help="State DB (SQLite): digests, locks, rebuilds, CVE timestamps. Default: state.sqlite in the cache.",
        ),
    ] = None,
    interval: Annotated[
        str, typer.Option("--interval", help="Time between runs (90s, 15m, 6h) unless --once.")
    ] = "15m",
    once: Annotated[bool, typer.Option("--once", help="Run one iteration and exit.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="List what would rebuild and why (package changes); build and record nothing."
        ),
    ] = False,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Sign and attest (provenance, scan) with this key (cosign.key or PEM), and verify after the push. "
            "Password: HARDBAKE_KEY_PASSWORD.",
        ),
    ] = None,
    db: Annotated[
        Path | None, typer.Option("--db", help="Vulnerability DB (default $HARDBAKE_CACHE/vuln/vuln.sqlite).")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Rebuild a lock whose tests already failed (flaky tests).")
    ] = False,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="SLA policy file for alerts (see `hardbake sla`).")
    ] = None,
    alerts_jsonl: Annotated[
        Path | None, typer.Option("--alerts-jsonl", help="Append SLA alerts to FILE as JSON lines.")
    ] = None,
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="POST SLA alerts (JSON) to URL; retried, bounded.")
    ] = None,
    max_runs: Annotated[int | None, typer.Option("--max-runs", min=1, help="Stop after N runs.")] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow plain HTTP to a non-loopback registry.")
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", help="table or json (one JSON document per run).")
    ] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the (last) run's JSON report to FILE.")
    ] = None,
    mirror: str | None = ao.MIRROR,
    security_mirror: str | None = ao.SECURITY_MIRROR,
    keyring: Path | None = ao.KEYRING,
) -> None:
    """Watch Debian's archive and keep images patched.

    Each run refreshes the signed indices (security suites first), re-locks every image and,
    for each whose resolved packages changed (or whose base is rebuilt): rebuilds it from the
    new lock, runs its tests in the Docker engine (a failure keeps the previous digest
    current), scans it, signs and attests it (--key), pushes it by digest, verifies it there,
    then moves its tags, and records package changes, CVEs fixed and digests in the state DB.
    Exit 0 all published or unchanged; 1 a test, verification or blocked cascade kept an image
    back; 2/3 a build failed on bad input / the environment.
    """
    from hardbake import paths
    from hardbake.debian.sources import default_mirrors
    from hardbake.errors import InputError
    from hardbake.oci.remote import RegistryAccess
    from hardbake.vuln import VulnDB
    from hardbake.watch import loop, targets
    from hardbake.watch.duration import positive_duration
    from hardbake.watch.publish import Destination
    from hardbake.watch.state import StateDB

    chosen = pick_format(fmt, json_flag)
    every = positive_duration(interval, what="--interval")
    from hardbake.watch import sla

    if policy is not None:
        sla.Policy.load(policy)  # a bad policy file is an error now, not at the end of every run
    if webhook is not None:
        from hardbake.webhook import check_url

        check_url(webhook)
    if dry_run and not once and max_runs is None:
        once = True  # a dry run answers one question: what would rebuild now
    selected = targets.select(names or [])
    state_path = (state or paths.state_file()).expanduser()
    signer = None
    if key is not None:
        from hardbake.cli.supplychain import signing_key

        signer = signing_key(key)
    if registry is not None and ("://" in registry or registry.endswith(":")):
        raise InputError(f"--registry {registry!r}: expected REGISTRY[/NAMESPACE], e.g. 127.0.0.1:5000/team")
    destination = (
        Destination(registry=registry.rstrip("/"))
        if registry
        else Destination(layouts=state_path.parent / "published")
    )
    mirrors = default_mirrors(mirror=mirror, security_mirror=security_mirror, keyring=keyring)
    stop = threading.Event()
    with (
        StateDB.open(state_path) as state_db,
        VulnDB.open(db) as vuln_db,
        RegistryAccess(insecure=insecure) as access,
    ):
        config = loop.WatchConfig(
            targets=selected,
            mirrors=mirrors,
            cache_root=paths.cache_dir(),
            state=state_db,
            db=vuln_db,
            destination=destination,
            access=access,
            workdir=state_path.with_name(state_path.name + ".work"),
            key=signer,
            engine=_engine_getter(),
            dry_run=dry_run,
            retry_failed=retry_failed,
            progress=lambda s: err.print(f"[dim]{escape(s)}[/]", highlight=False),
        )
        from hardbake.cli.sla import alert_after_run

        last: list[Any] = []

        def on_report(report: Any) -> None:
            last[:] = [report]
            if chosen == "json":
                doc = report.to_json()
                emit(dumps_json(doc) if once else json.dumps(doc, sort_keys=True) + "\n", None)
            else:
                _render(report)
            if output is not None:
                emit(dumps_json(report.to_json()), output)
            if not report.dry_run:
                alert_after_run(state_db, policy, alerts_jsonl, webhook)

        if once:
            on_report(loop.run_once(config))
            raise typer.Exit(last[0].exit_code)

        def on_error(e: Any) -> None:
            err.print(f"[bold red]run failed:[/] {escape(e.diagnostics())} (next try in {interval})")

        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            loop.run_forever(
                lambda: loop.run_once(config), every, stop, on_report=on_report, on_error=on_error,
                max_runs=max_runs,
            )  # fmt: skip
        except KeyboardInterrupt:
            stop.set()
        finally:
            signal.signal(signal.SIGTERM, previous)
        if last:
            raise typer.Exit(last[0].exit_code)


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)
