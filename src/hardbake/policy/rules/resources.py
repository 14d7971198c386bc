"""Resource rules: cpu and memory requests and limits, ephemeral storage, pids, swap = memory.

Kubernetes has no per-pod pids limit (the kubelet sets --pod-max-pids per node), so the pids
rule reports it as information there, once per workload. Requests left out in Kubernetes take
the limits' values (API defaulting), which the source has already applied. Swap is a Docker
matter: `--memory-swap` equal to `-m` disables it; unset, Docker allows as much swap as memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from hardbake.policy.model import Container, Role, Severity, SourceKind
from hardbake.policy.rules.interface import Refs, Rule, RuleContext, Violation

S = Severity
RUNTIME = frozenset({SourceKind.kubernetes, SourceKind.compose, SourceKind.docker_run})
REQUESTS = frozenset({SourceKind.kubernetes, SourceKind.compose})
DOCKER = frozenset({SourceKind.compose, SourceKind.docker_run})


def _resourced(c: Container) -> bool:
    return c.role is not Role.ephemeral  # ephemeral containers cannot have resources


def _missing(c: Container, value: str | None, what: str, key: str) -> Iterator[Violation]:
    if _resourced(c) and value is None:
        yield Violation(f"no {what}", c.at(key) if key in c.locations else c.at("resources"))


def memory_limit(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(c, c.resources.memory_limit, "memory limit", "limits.memory")


def cpu_limit(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(c, c.resources.cpu_limit, "cpu limit", "limits.cpu")


def memory_request(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(c, c.resources.memory_request, "memory request (reservation)", "requests.memory")


def cpu_request(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    yield from _missing(c, c.resources.cpu_request, "cpu request (reservation)", "requests.cpu")


def ephemeral(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    what = (
        "ephemeral-storage limit"
        if c.source is SourceKind.kubernetes
        else "storage_opt size (writable layer)"
    )
    yield from _missing(c, c.resources.ephemeral_limit, what, "limits.ephemeral-storage")


def pids(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.source is SourceKind.kubernetes:
        if c.role is Role.main and c.where.path.endswith(".containers[0]"):  # once per workload
            yield Violation(
                "Kubernetes has no per-pod pids limit: make sure the kubelet sets podPidsLimit "
                "(--pod-max-pids) on the nodes",
                c.where,
                S.info,
            )
        return
    if c.resources.pids_limit is None:
        yield Violation("no pids limit: a fork bomb can exhaust the host's process table", c.at("pids"))


def swap(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    mem, sw = c.resources.memory_limit, c.resources.memory_swap
    if mem is None:
        return
    if sw is None:
        yield Violation(
            f"memory swap not limited: Docker allows as much swap as memory ({mem}) on top of it",
            c.at("limits.memory"),
        )
    elif sw.strip().lower() != mem.strip().lower():
        yield Violation(
            f"memory swap {sw} differs from the memory limit {mem}: swap is enabled", c.at("swap")
        )


RULES = (
    Rule(
        "HB-RES-001",
        "no-memory-limit",
        "resources",
        "No memory limit",
        "resources.limits.memory / deploy.resources.limits.memory / -m 512m",
        memory_limit,
        S.high,
        S.medium,
        S.info,
        Refs(cis="5.11", checkov=("CKV_K8S_13",)),
        RUNTIME,
    ),
    Rule(
        "HB-RES-002",
        "no-cpu-limit",
        "resources",
        "No cpu limit",
        "resources.limits.cpu / deploy.resources.limits.cpus / --cpus 0.5",
        cpu_limit,
        S.medium,
        S.low,
        S.info,
        Refs(cis="5.12", checkov=("CKV_K8S_11",)),
        RUNTIME,
    ),
    Rule(
        "HB-RES-003",
        "no-memory-request",
        "resources",
        "No memory request",
        "resources.requests.memory / deploy.resources.reservations.memory",
        memory_request,
        S.low,
        S.info,
        None,
        Refs(checkov=("CKV_K8S_12",)),
        REQUESTS,
    ),
    Rule(
        "HB-RES-004",
        "no-cpu-request",
        "resources",
        "No cpu request",
        "resources.requests.cpu / deploy.resources.reservations.cpus",
        cpu_request,
        S.low,
        S.info,
        None,
        Refs(checkov=("CKV_K8S_10",)),
        REQUESTS,
    ),
    Rule(
        "HB-RES-005",
        "no-ephemeral-storage-limit",
        "resources",
        "No ephemeral storage limit",
        "resources.limits.ephemeral-storage: 1Gi / storage_opt: {size: 1G} / --storage-opt size=1G",
        ephemeral,
        S.low,
        S.info,
        None,
        Refs(),
        RUNTIME,
    ),
    Rule(
        "HB-RES-006",
        "no-pids-limit",
        "resources",
        "No pids limit",
        "deploy.resources.limits.pids: 100 / --pids-limit 100; Kubernetes: the kubelet's podPidsLimit",
        pids,
        S.medium,
        S.low,
        None,
        Refs(cis="5.29"),
        RUNTIME,
    ),
    Rule(
        "HB-RES-007",
        "swap-not-disabled",
        "resources",
        "Swap is not equal to the memory limit",
        "memswap_limit equal to mem_limit / --memory-swap equal to -m",
        swap,
        S.low,
        S.info,
        None,
        Refs(cis="5.11"),
        DOCKER,
    ),
)
