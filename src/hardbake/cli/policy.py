"""`hardbake policy`: check files against the hardening rules, serve the admission webhook,
print the webhook's configuration, list the rules."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table

from hardbake.cli.output import dumps_json, emit, err, out, pick_format
from hardbake.errors import GateFailed, InputError
from hardbake.policy.check import build_policy, check_paths
from hardbake.policy.findings import CheckResult
from hardbake.policy.model import Severity
from hardbake.policy.rules import RULES, Profile

policy_app = typer.Typer(
    name="policy",
    help="Hardening policy for Kubernetes, Compose, Dockerfiles and docker run lines: check, webhook.",
    no_args_is_help=True,
)
_SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _render_table(result: CheckResult, output: Path | None) -> None:
    table = Table(title=f"{len(result.findings)} findings in {len(result.files)} files", show_lines=False)
    for col in ("severity", "rule", "location", "workload", "finding / fix"):
        table.add_column(col, overflow="fold")
    for f in sorted(result.findings, key=lambda f: (-f.severity, f.file, f.line)):
        who = f.workload + (f"/{f.container}" if f.container and f.container not in f.workload else "")
        table.add_row(
            f"[{_SEV_STYLE[f.severity.name]}]{f.severity.name}[/]",
            f.rule_id,
            f"{f.file}:{f.line}",
            who,
            f"{f.message}\n[dim]fix: {f.fix}[/]",
        )
    if output is None:
        out.print(table)
    else:  # the same table as plain text in the file
        buf = Console(file=io.StringIO(), width=200, color_system=None)
        buf.print(table)
        emit(buf.file.getvalue(), output)  # type: ignore[attr-defined]


@policy_app.command("check")
def check(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files or directories: Kubernetes YAML, Compose files, "
            "Dockerfiles, shell scripts / docker-run files with docker run lines."
        ),
    ],
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="dev, staging or production for every input; "
            "default: the config's namespace/path maps, else its profile (production).",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Policy configuration YAML (docs/policy.md).")
    ] = None,
    rego: Annotated[
        Path | None, typer.Option("--rego", help="Directory (or file) of custom Rego v1 policies.")
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a finding is at or above this "
            "severity: info, low, medium, high, critical (default: config, high).",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="table, json or sarif (SARIF 2.1.0 for code scanning).")
    ] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the report to FILE (atomically).")
    ] = None,
) -> None:
    """Check workloads against the hardening rules; exit 1 on findings at or above --fail-on."""
    chosen = pick_format(fmt, json_flag, ("table", "json", "sarif"))
    pol = build_policy(config, rego)
    threshold = Severity.parse(fail_on) if fail_on else pol.config.fail_on
    result = check_paths(paths, profile=profile, policy=pol)
    if chosen == "json":
        doc = result.to_json()
        doc["fail_on"] = threshold.name
        emit(dumps_json(doc), output)
    elif chosen == "sarif":
        from hardbake.policy.sarif import to_sarif

        emit(dumps_json(to_sarif(result)), output)
    else:
        _render_table(result, output)
    blocking = result.at_or_above(threshold)
    err.print(
        f"{result.workloads} workloads, {result.containers} containers, {len(result.findings)} findings, "
        f"{len(blocking)} at or above {threshold.name}",
        highlight=False,
    )
    if blocking:
        raise GateFailed(
            f"{len(blocking)} findings at or above {threshold.name}",
            hint="fix them, or tune severities in a --config file (docs/policy.md)",
        )


@policy_app.command("rules")
def rules(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    json_flag: Annotated[bool, typer.Option("--json", help="Alias of --format json.")] = False,
) -> None:
    """List the built-in rules with their severities per profile and cross-references."""
    chosen = pick_format(fmt, json_flag)
    if chosen == "json":
        emit(
            dumps_json(
                [
                    {
                        "id": r.id,
                        "name": r.name,
                        "title": r.title,
                        "category": r.category,
                        "severity": {
                            p.value: (lvl.name if (lvl := r.severity_for(p)) is not None else None)
                            for p in Profile
                        },
                        "enabled_by_default": r.enabled_by_default,
                        "fix": r.fix,
                        "sources": sorted(s.value for s in r.sources),
                        "references": r.refs.as_list(),
                    }
                    for r in RULES
                ]
            ),
            None,
        )
        return
    table = Table(title="hardbake policy rules")
    for col in ("id", "title", "production", "staging", "dev", "references"):
        table.add_column(col, overflow="fold")
    for r in RULES:
        sev = [
            (s.name if (s := r.severity_for(p)) is not None else "off")
            for p in (Profile.production, Profile.staging, Profile.dev)
        ]
        if not r.enabled_by_default:
            sev = [f"{s} (opt-in)" for s in sev]
        table.add_row(r.id, r.title, *sev, ", ".join(r.refs.as_list()))
    out.print(table)


@policy_app.command("serve")
def serve(
    tls_cert: Annotated[Path, typer.Option("--tls-cert", help="Serving certificate (PEM).")],
    tls_key: Annotated[Path, typer.Option("--tls-key", help="Its private key (PEM).")],
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0 inside a cluster pod).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8443,
    config: Annotated[Path | None, typer.Option("--config", help="Policy configuration YAML.")] = None,
    rego: Annotated[Path | None, typer.Option("--rego", help="Directory of custom Rego v1 policies.")] = None,
    failure_mode: Annotated[
        str | None,
        typer.Option(
            "--failure-mode",
            help="closed (deny on internal error, the "
            "default) or open (allow with a warning); overrides the config.",
        ),
    ] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", help="The webhook's own namespace, never checked.")
    ] = None,
) -> None:
    """Run the validating admission webhook (AdmissionReview v1) over HTTPS: /validate, /healthz, /metrics."""
    from hardbake.policy.webhook import check_tls, create_app
    from hardbake.policy.webhook import serve as run

    if failure_mode not in (None, "open", "closed"):
        raise InputError(f"--failure-mode {failure_mode!r}", hint="use open or closed")
    check_tls(tls_cert, tls_key)
    pol = build_policy(config, rego)
    app = create_app(pol, failure_mode=failure_mode, own_namespace=namespace)
    err.print(
        f"hardbake policy webhook on https://{host}:{port}/validate "
        f"(fail {failure_mode or pol.config.webhook.failure_mode})",
        highlight=False,
    )
    run(app, host=host, port=port, cert=tls_cert, key=tls_key)


@policy_app.command("webhook-config")
def webhook_config(
    tls_cert: Annotated[
        Path, typer.Option("--tls-cert", help="The serving certificate of `policy serve` (PEM).")
    ],
    ca_file: Annotated[
        Path | None,
        typer.Option(
            "--ca-file",
            help="CA that signed it (default: the certificate itself, which must then be self-signed).",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Policy configuration YAML (webhook: section).")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", help="Namespace the webhook runs in (excluded).")
    ] = None,
    service: Annotated[
        str | None, typer.Option("--service", help="Service name in front of the webhook.")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="https://HOST:PORT instead of an in-cluster service.")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Service port.")] = 443,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude-namespace", help="More namespaces to leave unchecked.")
    ] = None,
    name: Annotated[
        str, typer.Option("--name", help="Name of the configuration object.")
    ] = "hardbake-policy",
    fmt: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE (atomically).")] = None,
) -> None:
    """Print the ValidatingWebhookConfiguration (kube-system and the webhook's namespace excluded)."""
    from hardbake.policy.config import load_config
    from hardbake.policy.webhook_config import webhook_configuration

    chosen = pick_format(fmt, False, ("yaml", "json"))
    doc = webhook_configuration(
        tls_cert,
        config=load_config(config),
        ca_file=ca_file,
        url=url,
        name=name,
        namespace=namespace,
        service=service,
        port=port,
        extra_excluded=exclude,
    )
    text = dumps_json(doc) if chosen == "json" else yaml.safe_dump(doc, sort_keys=False)
    emit(text, output)


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
