"""Operations rules: health checks, a restart policy, bounded logs; and input problems.

Kubernetes: liveness and readiness probes on long-running containers (not on init,
ephemeral or Job/CronJob containers); restart and log rotation are the controller's and the
kubelet's business there. Compose/docker run: a healthcheck (unset means "whatever the image
says", flagged at the rule's severity, `disable`/`--no-healthcheck` always), a restart policy
other than `no`, and logs that rotate (json-file with max-size, or a driver that keeps no
unbounded local file). Dockerfiles: a HEALTHCHECK in the final stage or a stage it builds on.
"""

from __future__ import annotations

from collections.abc import Iterator

from hardbake.policy.model import Container, Severity, SourceKind
from hardbake.policy.rules.interface import ALL_SOURCES, Refs, Rule, RuleContext, Violation

S = Severity
K8S = frozenset({SourceKind.kubernetes})
DOCKER = frozenset({SourceKind.compose, SourceKind.docker_run})


def healthcheck(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.source is SourceKind.kubernetes:
        if c.healthcheck is False:
            yield Violation("no livenessProbe", c.where)
        return
    if c.healthcheck is False:
        yield Violation("the health check is disabled", c.at("healthcheck"))
    elif c.healthcheck is None:
        what = "HEALTHCHECK instruction" if c.source is SourceKind.dockerfile else "healthcheck"
        yield Violation(f"no {what}", c.where)


def readiness(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.readiness is False:
        yield Violation("no readinessProbe: traffic reaches the container before it is ready", c.where)


def restart(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.restart is None or c.restart.strip() in ("no", '"no"'):
        said = "is `no`" if c.restart else "is not set (means `no`)"
        yield Violation(f"restart policy {said}: the container stays down after a crash", c.at("restart"))


def logs(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if not c.log_rotation:
        driver = c.log_driver or "the daemon's default (json-file unless daemon.json says otherwise)"
        yield Violation(f"logs are not rotated: driver {driver} without max-size", c.at("logging"))


def notes(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    for n in c.notes:
        yield Violation(n, c.where)


RULES = (
    Rule(
        "HB-OPS-001",
        "no-healthcheck",
        "operations",
        "No health check",
        'livenessProbe / healthcheck: {test: [...]} / --health-cmd / HEALTHCHECK CMD ["/app", "health"]',
        healthcheck,
        S.low,
        S.low,
        None,
        Refs(cis="4.6", checkov=("CKV_K8S_8", "CKV_DOCKER_2")),
        ALL_SOURCES,
    ),
    Rule(
        "HB-OPS-002",
        "no-readiness-probe",
        "operations",
        "No readiness probe",
        "add a readinessProbe",
        readiness,
        S.low,
        S.info,
        None,
        Refs(checkov=("CKV_K8S_9",)),
        K8S,
    ),
    Rule(
        "HB-OPS-003",
        "no-restart-policy",
        "operations",
        "No restart policy",
        "restart: unless-stopped (or on-failure:5, as CIS 5.15 prefers) / --restart unless-stopped",
        restart,
        S.low,
        S.low,
        None,
        Refs(cis="5.15"),
        DOCKER,
    ),
    Rule(
        "HB-OPS-004",
        "logs-not-rotated",
        "operations",
        "Logs are not rotated",
        'logging: {driver: json-file, options: {max-size: 10m, max-file: "3"}} / --log-opt max-size=10m',
        logs,
        S.low,
        S.low,
        None,
        Refs(),
        DOCKER,
    ),
    Rule(
        "HB-SRC-001",
        "input-problem",
        "input",
        "Input the runtime would refuse or misread",
        "fix the flag or option named in the message",
        notes,
        S.medium,
        S.medium,
        S.low,
        Refs(),
        frozenset({SourceKind.compose, SourceKind.docker_run}),
    ),
)
