"""A Kubernetes workload (Deployment by default, or a bare Pod) whose container carries the profile:
requests and limits (cpu, memory, ephemeral-storage), a restricted securityContext (Pod Security
Standards "restricted": runAsNonRoot with a numeric UID, allowPrivilegeEscalation false, drop
ALL, seccomp RuntimeDefault) plus readOnlyRootFilesystem, and memory-backed emptyDir volumes
for the profile's tmpfs mounts.

What Kubernetes cannot say per container is written as comments instead: pids (a node-level
kubelet setting), swap (off unless the node enables NodeSwap), log rotation (kubelet
containerLogMaxSize), block-I/O throttling, `noexec` on an emptyDir, and "no network".
"""

from __future__ import annotations

from typing import Any

from hardbake.runtime.formats.interface import comment_block, dump_yaml, explanation
from hardbake.runtime.image import Pin
from hardbake.runtime.plan import RunPlan
from hardbake.runtime.units import docker_size, k8s_cpu, k8s_size

KINDS = ("deployment", "pod")


def _volume_name(path: str) -> str:
    return "tmpfs-" + (
        path.strip("/").replace("/", "-").replace("_", "-").replace(".", "-").lower() or "root"
    )


def container(plan: RunPlan) -> dict[str, Any]:
    p = plan.profile
    requests: dict[str, str] = {
        "cpu": k8s_cpu(p.cpu_request or p.cpus),
        "memory": k8s_size(p.memory_request or p.memory),
    }
    limits: dict[str, str] = {"cpu": k8s_cpu(p.cpus), "memory": k8s_size(p.memory)}
    if p.storage:
        requests["ephemeral-storage"] = k8s_size(p.storage_request or p.storage)
        limits["ephemeral-storage"] = k8s_size(p.storage)
    security: dict[str, Any] = {
        "runAsNonRoot": True,
        "runAsUser": plan.uid,
        "runAsGroup": plan.gid,
        "allowPrivilegeEscalation": not p.no_new_privileges,
        "privileged": False,
        "readOnlyRootFilesystem": p.read_only,
        "capabilities": {"drop": list(p.cap_drop)} | ({"add": list(p.cap_add)} if p.cap_add else {}),
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    c: dict[str, Any] = {
        "name": plan.name,
        "image": plan.image.portable if plan.image.pin is Pin.image_id else plan.image.pinned,
    }
    if plan.command:
        c["args"] = list(plan.command)
    if plan.env:
        c["env"] = [{"name": k, "value": v} for k, v in plan.env.items()]
    c["resources"] = {"requests": requests, "limits": limits}
    c["securityContext"] = security
    if p.tmpfs:
        c["volumeMounts"] = [{"name": _volume_name(t.path), "mountPath": t.path} for t in p.tmpfs]
    if plan.healthcheck is not None:
        h = plan.healthcheck
        probe = {
            "exec": {"command": list(h.test)},
            "initialDelaySeconds": h.start_period,
            "periodSeconds": h.interval,
            "timeoutSeconds": h.timeout,
            "failureThreshold": h.retries,
        }
        c["livenessProbe"] = probe
        c["readinessProbe"] = dict(probe)
    return c


def pod_spec(plan: RunPlan) -> dict[str, Any]:
    p = plan.profile
    spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": plan.uid,
            "runAsGroup": plan.gid,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container(plan)],
    }
    if p.network == "host":
        spec["hostNetwork"] = True
    if p.tmpfs:
        spec["volumes"] = [
            {"name": _volume_name(t.path), "emptyDir": {"medium": "Memory", "sizeLimit": k8s_size(t.size)}}
            for t in p.tmpfs
        ]
    return spec


def document(plan: RunPlan, kind: str = "deployment") -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": plan.name}
    annotations = {"hardbake.dev/profile": plan.profile.name}
    if kind == "pod":
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": plan.name, "labels": labels, "annotations": annotations},
            "spec": pod_spec(plan),
        }
    if kind != "deployment":
        raise ValueError(f"unknown Kubernetes kind {kind!r}; choose one of {', '.join(KINDS)}")
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": plan.name, "labels": labels, "annotations": annotations},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels, "annotations": annotations}, "spec": pod_spec(plan)},
        },
    }


def k8s_notes(plan: RunPlan) -> tuple[str, ...]:
    p = plan.profile
    notes = ["swap: off unless the node enables NodeSwap; the memory limit is the whole budget"]
    if plan.image.pin is Pin.image_id:
        notes.append(
            "the image was never pushed, so the kubelet cannot pull it by digest: the tag is kept; "
            "push it and generate again to pin it"
        )
    if p.pids:
        notes.append(f"pids {p.pids}: Kubernetes has no per-pod pids limit; set podPidsLimit in the kubelet")
    if p.log is not None:
        notes.append(
            f"log rotation {docker_size(p.log.max_size)} x {p.log.max_file}: set the kubelet's "
            "containerLogMaxSize and containerLogMaxFiles"
        )
    if any(t.noexec or t.nosuid or t.nodev for t in p.tmpfs):
        notes.append("tmpfs noexec,nosuid,nodev cannot be set on an emptyDir; memory-backed emptyDir used")
    if p.blkio is not None and p.devices:
        notes.append("block-I/O throttling has no Kubernetes field; use the node's cgroup settings")
    if p.network == "none":
        notes.append("no network: Kubernetes has no per-pod switch; add a deny-all NetworkPolicy")
    if p.restart not in ("always", "unless-stopped"):
        notes.append(f"restart {p.restart}: a Deployment always restarts its pods")
    return tuple(notes)


def render(plan: RunPlan, kind: str = "deployment") -> str:
    body = dump_yaml(document(plan, kind))
    return comment_block(explanation(plan, k8s_notes(plan))) + body
