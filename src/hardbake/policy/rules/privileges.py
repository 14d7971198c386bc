"""Privilege rules: no escalation, capabilities dropped, not privileged, no host namespaces,
no container-runtime socket, seccomp confined.

Kubernetes leaves seccomp Unconfined unless a profile is set (PSS restricted requires
RuntimeDefault or Localhost); Docker applies its default profile unless told
`seccomp=unconfined` or `--privileged`, so Compose and docker run pass by default.
"""

from __future__ import annotations

from collections.abc import Iterator

from hardbake.policy.model import Container, Severity, SourceKind
from hardbake.policy.rules.interface import Refs, Rule, RuleContext, Violation
from hardbake.policy.sources.dockeropts import exposes_socket

S = Severity
RUNTIME = frozenset({SourceKind.kubernetes, SourceKind.compose, SourceKind.docker_run})
ALLOWED_ADD = frozenset({"NET_BIND_SERVICE"})


def escalation(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.allow_privilege_escalation is False:
        return
    if c.source is SourceKind.kubernetes:
        if c.allow_privilege_escalation is None:
            yield Violation(
                "allowPrivilegeEscalation is not set to false (it defaults to true)", c.at("securityContext")
            )
        else:
            why = (
                " (privileged or CAP_SYS_ADMIN forces it)" if c.privileged or "SYS_ADMIN" in c.cap_add else ""
            )
            yield Violation(f"allowPrivilegeEscalation is true{why}", c.at("allowPrivilegeEscalation"))
    else:
        if c.privileged:
            said = "cannot hold: the container is privileged"
        else:
            said = "is false" if c.allow_privilege_escalation else "is not set"
        yield Violation(
            f"no-new-privileges {said}: setuid binaries can gain privileges", c.at("allowPrivilegeEscalation")
        )


def drop_all(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if "ALL" not in c.cap_drop:
        yield Violation(
            "capabilities are not dropped: drop ALL (the runtime's default set includes e.g. "
            "NET_RAW, CHOWN, SETUID)",
            c.at("cap_drop" if c.cap_drop else "capabilities"),
        )


def added(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    extra = sorted(set(c.cap_add) - ALLOWED_ADD)
    if extra:
        yield Violation(
            f"adds capabilities {', '.join(extra)} (only NET_BIND_SERVICE may be added)", c.at("cap_add")
        )


def privileged(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.privileged:
        yield Violation("runs privileged: every capability and every host device", c.at("privileged"))


def host_network(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.host_network:
        yield Violation("shares the host's network namespace", c.at("hostNetwork"))


def host_pid(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.host_pid:
        yield Violation("shares the host's process namespace", c.at("hostPID"))


def host_ipc(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.host_ipc:
        yield Violation("shares the host's IPC namespace", c.at("hostIPC"))


def socket(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    for m in c.mounts:
        if exposes_socket(m):
            yield Violation(
                f"mounts the container runtime's socket ({m.source}): root on the host",
                c.at(f"mount:{m.source}"),
            )


def seccomp(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.seccomp in ("RuntimeDefault", "Localhost"):
        return
    if c.seccomp == "Unconfined":
        why = " (--privileged disables it)" if c.privileged and c.source is not SourceKind.kubernetes else ""
        yield Violation(f"seccomp is unconfined{why}", c.at("seccomp"))
    elif c.seccomp_annotation:
        yield Violation(
            "seccomp is only set by the seccomp.security.alpha.kubernetes.io annotation, deprecated since "
            "Kubernetes 1.19 and no longer applied by current releases: set securityContext.seccompProfile",
            c.at("securityContext"),
        )
    else:
        yield Violation(
            "seccompProfile is not set: Kubernetes runs the container Unconfined", c.at("securityContext")
        )


RULES = (
    Rule(
        "HB-PRIV-001",
        "privilege-escalation",
        "privileges",
        "Privilege escalation is allowed",
        "Kubernetes: securityContext.allowPrivilegeEscalation: false; "
        "Docker: --security-opt no-new-privileges "
        '(Compose: security_opt: ["no-new-privileges:true"])',
        escalation,
        S.high,
        S.high,
        S.low,
        Refs(pss="restricted: allowPrivilegeEscalation false", cis="5.26", checkov=("CKV_K8S_20",)),
        RUNTIME,
    ),
    Rule(
        "HB-PRIV-002",
        "capabilities-not-dropped",
        "privileges",
        "Capabilities are not dropped (drop ALL)",
        "capabilities: {drop: [ALL]} / cap_drop: [ALL] / --cap-drop ALL; add back only NET_BIND_SERVICE",
        drop_all,
        S.high,
        S.medium,
        None,
        Refs(pss="restricted: capabilities drop ALL", cis="5.4", checkov=("CKV_K8S_37",)),
        RUNTIME,
    ),
    Rule(
        "HB-PRIV-003",
        "capabilities-added",
        "privileges",
        "Capabilities other than NET_BIND_SERVICE are added",
        "remove the added capabilities; only NET_BIND_SERVICE is acceptable",
        added,
        S.high,
        S.high,
        S.medium,
        Refs(pss="restricted: add only NET_BIND_SERVICE", cis="5.4", checkov=("CKV_K8S_25",)),
        RUNTIME,
    ),
    Rule(
        "HB-PRIV-004",
        "privileged",
        "privileges",
        "Container is privileged",
        "remove privileged: true / --privileged; grant the one capability or device needed instead",
        privileged,
        S.critical,
        S.critical,
        S.high,
        Refs(pss="baseline: privileged", cis="5.5", checkov=("CKV_K8S_16",)),
        RUNTIME,
    ),
    Rule(
        "HB-PRIV-005",
        "host-network",
        "privileges",
        "Host network namespace is shared",
        "remove hostNetwork: true / network_mode: host / --network host",
        host_network,
        S.high,
        S.high,
        S.low,
        Refs(pss="baseline: host namespaces", cis="5.10", checkov=("CKV_K8S_19",)),
        RUNTIME,
    ),
    Rule(
        "HB-PRIV-006",
        "host-pid",
        "privileges",
        "Host PID namespace is shared",
        "remove hostPID: true / pid: host / --pid host",
        host_pid,
        S.high,
        S.high,
        S.medium,
        Refs(pss="baseline: host namespaces", cis="5.16", checkov=("CKV_K8S_17",)),
        RUNTIME,
    ),
    Rule(
        "HB-PRIV-007",
        "host-ipc",
        "privileges",
        "Host IPC namespace is shared",
        "remove hostIPC: true / ipc: host / --ipc host",
        host_ipc,
        S.high,
        S.high,
        S.medium,
        Refs(pss="baseline: host namespaces", cis="5.17", checkov=("CKV_K8S_18",)),
        RUNTIME,
    ),
    Rule(
        "HB-PRIV-008",
        "runtime-socket",
        "privileges",
        "Container runtime socket is mounted",
        "do not mount docker.sock/containerd.sock; use a narrowly scoped API or a rootless builder",
        socket,
        S.critical,
        S.critical,
        S.critical,
        Refs(pss="baseline: hostPath volumes", cis="5.32", checkov=("CKV_K8S_27",)),
        RUNTIME,
    ),
    Rule(
        "HB-PRIV-009",
        "seccomp-unconfined",
        "privileges",
        "Seccomp is not RuntimeDefault",
        "securityContext.seccompProfile: {type: RuntimeDefault}; Docker: do not pass seccomp=unconfined",
        seccomp,
        S.high,
        S.medium,
        S.low,
        Refs(
            pss="restricted: seccompProfile RuntimeDefault or Localhost", cis="5.22", checkov=("CKV_K8S_31",)
        ),
        RUNTIME,
    ),
)
