"""Filesystem rules: read-only root, tmpfs mounts noexec,nosuid,nodev with a size, no host paths.

Docker mounts every tmpfs noexec,nosuid,nodev unless `exec`, `suid` or `dev` is written, so
only those words (and a missing size) are findings for Compose and docker run. Kubernetes
has no tmpfs options: a memory-backed emptyDir needs a sizeLimit.
"""

from __future__ import annotations

from collections.abc import Iterator

from hardbake.policy.model import Container, Severity, SourceKind
from hardbake.policy.rules.interface import Refs, Rule, RuleContext, Violation
from hardbake.policy.sources.dockeropts import exposes_socket, is_sensitive_host_path

S = Severity
RUNTIME = frozenset({SourceKind.kubernetes, SourceKind.compose, SourceKind.docker_run})
DOCKER = frozenset({SourceKind.compose, SourceKind.docker_run})
K8S = frozenset({SourceKind.kubernetes})
_NEEDED = ("noexec", "nosuid", "nodev")


def read_only(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if c.read_only_root is not True:
        said = "is false" if c.read_only_root is False and c.source is SourceKind.kubernetes else "is not set"
        key = (
            "readOnlyRootFilesystem"
            if c.source is not SourceKind.kubernetes or c.read_only_root is False
            else "securityContext"
        )
        yield Violation(f"root filesystem is writable: read-only root {said}", c.at(key))


def tmpfs_options(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    for t in c.tmpfs:
        missing = [o for o in _NEEDED if o not in t.options]
        if missing:
            yield Violation(
                f"tmpfs {t.target} is mounted without {','.join(missing)}", c.at(f"tmpfs:{t.target}")
            )


def tmpfs_size(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    for t in c.tmpfs:
        if not t.size:
            yield Violation(f"tmpfs {t.target} has no size: it can fill memory", c.at(f"tmpfs:{t.target}"))
    for name, has_limit in c.memory_volumes:
        if not has_limit:
            yield Violation(f"memory-backed emptyDir {name!r} has no sizeLimit", c.at(f"emptyDir:{name}"))


def sensitive(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    for m in c.mounts:
        if is_sensitive_host_path(m) and not exposes_socket(m):
            rw = "read-only" if m.read_only else "read-write"
            yield Violation(f"mounts the host's {m.source} ({rw})", c.at(f"mount:{m.source}"))


def host_path(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    for m in c.mounts:
        if m.kind == "hostPath" and not is_sensitive_host_path(m) and not exposes_socket(m):
            yield Violation(
                f"hostPath volume {m.source}: PSS forbids hostPath volumes", c.at(f"mount:{m.source}")
            )


RULES = (
    Rule(
        "HB-FS-001",
        "writable-root",
        "filesystem",
        "Root filesystem is writable",
        "readOnlyRootFilesystem: true / read_only: true / --read-only, "
        "with tmpfs or emptyDir for scratch space",
        read_only,
        S.medium,
        S.low,
        None,
        Refs(cis="5.13", checkov=("CKV_K8S_22",)),
        RUNTIME,
    ),
    Rule(
        "HB-FS-002",
        "tmpfs-exec",
        "filesystem",
        "tmpfs is not noexec,nosuid,nodev",
        "drop exec/suid/dev from the tmpfs options (Docker's defaults are noexec,nosuid,nodev)",
        tmpfs_options,
        S.medium,
        S.medium,
        S.info,
        Refs(cis="5.6"),
        DOCKER,
    ),
    Rule(
        "HB-FS-003",
        "tmpfs-unbounded",
        "filesystem",
        "tmpfs or memory emptyDir has no size",
        "tmpfs: /tmp:size=64m,noexec,nosuid,nodev / emptyDir: {medium: Memory, sizeLimit: 64Mi}",
        tmpfs_size,
        S.medium,
        S.low,
        None,
        Refs(),
        RUNTIME,
    ),
    Rule(
        "HB-FS-004",
        "sensitive-host-path",
        "filesystem",
        "Sensitive host directory is mounted",
        "do not mount host system directories (/, /etc, /proc, /sys, /var/lib/docker, ...)",
        sensitive,
        S.high,
        S.high,
        S.medium,
        Refs(pss="baseline: hostPath volumes", cis="5.6"),
        RUNTIME,
    ),
    Rule(
        "HB-FS-005",
        "hostpath-volume",
        "filesystem",
        "hostPath volume is used",
        "use a PersistentVolumeClaim, configMap, secret or emptyDir instead of hostPath",
        host_path,
        S.medium,
        S.low,
        None,
        Refs(pss="baseline: hostPath volumes"),
        K8S,
    ),
)
