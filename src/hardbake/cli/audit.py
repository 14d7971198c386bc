"""`hardbake audit`: hardened-image adoption per namespace and the top violations in a cluster."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, err, out, pick_format
from hardbake.errors import GateFailed, InputError
from hardbake.policy.audit import audit_pods, fetch_pods, pods_from_json
from hardbake.policy.check import build_policy
from hardbake.policy.rules import BY_ID, Profile


def audit(
    pods: Annotated[
        str | None,
        typer.Option("--pods", help="JSON of `kubectl get pods -A -o json`: a FILE or - for stdin."),
    ] = None,
    kubeconfig: Annotated[
        Path | None, typer.Option("--kubeconfig", help="Audit the live cluster of this kubeconfig.")
    ] = None,
    context: Annotated[
        str | None, typer.Option("--context", help="kubeconfig context (with --kubeconfig).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Policy configuration YAML (allowed registries, namespace profiles)."),
    ] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="One profile for every namespace.")] = None,
    namespace: Annotated[
        list[str] | None, typer.Option("--namespace", "-n", help="Only namespaces matching these globs.")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="How many top violations to list.")] = 10,
    min_adoption: Annotated[
        float | None,
        typer.Option("--min-adoption", help="Exit 1 when the overall adoption rate (percent) is below this."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or markdown.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the report to FILE (atomically).")
    ] = None,
) -> None:
    """Hardened vs other images per namespace, adoption rate, and the most common violations."""
    chosen = pick_format(fmt, json_flag, ("table", "json", "markdown"))
    if (pods is None) == (kubeconfig is None):
        raise InputError("give exactly one of --pods FILE|- and --kubeconfig FILE")
    if pods is not None:
        text = sys.stdin.read() if pods == "-" else _read(Path(pods))
        items = pods_from_json(text, pods)
    else:
        items = fetch_pods(kubeconfig, context)
    prof = Profile(profile) if profile in {p.value for p in Profile} else None
    if profile is not None and prof is None:
        raise InputError(f"unknown profile {profile!r}", hint="use dev, staging or production")
    report = audit_pods(items, build_policy(config), profile=prof, namespaces=namespace or None, top=top)
    if chosen == "json":
        emit(dumps_json(report.to_json()), output)
    elif chosen == "markdown":
        emit(report.to_markdown(), output)
    else:
        console = out if output is None else Console(file=io.StringIO(), width=200, color_system=None)
        table = Table(
            title=f"Hardened images: {report.hardened}  other: {report.other}  "
            f"adoption: {report.adoption:.1f}%"
        )
        for col in ("namespace", "profile", "pods", "compliant", "hardened", "other", "adoption"):
            table.add_column(col, justify="left" if col in ("namespace", "profile") else "right")
        for n in report.namespaces:
            table.add_row(
                n.namespace,
                n.profile,
                str(n.pods),
                str(n.compliant_pods),
                str(n.hardened),
                str(n.other),
                f"{n.adoption:.1f}%",
            )
        console.print(table)
        tv = Table(title="Top violations (pods)")
        for col in ("rule", "title", "pods"):
            tv.add_column(col)
        for rid, count in report.top:
            tv.add_row(rid, BY_ID[rid].title if rid in BY_ID else rid, str(count))
        console.print(tv)
        if output is not None:
            emit(console.file.getvalue(), output)  # type: ignore[attr-defined]
    if min_adoption is not None and report.adoption < min_adoption:
        err.print(
            f"adoption {report.adoption:.1f}% is below --min-adoption {min_adoption:g}%", highlight=False
        )
        raise GateFailed(f"adoption rate {report.adoption:.1f}% < {min_adoption:g}%")


def _read(p: Path) -> str:
    try:
        return p.read_text()
    except OSError as e:
        raise InputError(f"cannot read {p}: {e.strerror}") from e


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
