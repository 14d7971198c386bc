"""What a deployment asks for: CPU and memory per workload, read from Compose, Kubernetes or a profile.

Compose: `deploy.resources.limits` / `reservations` (falling back to `cpus`, `mem_limit`,
`mem_reservation`), replicas from `deploy.replicas` or `scale`. Kubernetes: every workload
kind that holds a pod template (multi-document YAML and `kind: List`), summing the containers
of a pod (init containers do not run alongside them), replicas from `spec.replicas`.
Kubernetes quantities keep their own units (`512M` is decimal there, `512Mi` binary).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hardbake.errors import InputError
from hardbake.runtime.profile import BUILTIN, Profile
from hardbake.runtime.profile_load import load_profile
from hardbake.runtime.units import k8s_bytes, parse_cpus, parse_k8s_quantity, parse_size


@dataclass(frozen=True)
class Workload:
    name: str
    source: str
    replicas: int
    limit_cpus: float | None
    limit_memory: int | None
    request_cpus: float | None
    request_memory: int | None
    match: tuple[str, ...] = ()  # names under which monitor captures may know its containers
    note: str = ""

    def basis(self, basis: str) -> tuple[float | None, int | None]:
        """(cpus, memory) on the chosen basis, each falling back to the other basis."""
        if basis == "requests":
            return (self.request_cpus or self.limit_cpus, self.request_memory or self.limit_memory)
        return (self.limit_cpus or self.request_cpus, self.limit_memory or self.request_memory)


def from_profile(profile: Profile, replicas: int = 1) -> Workload:
    return Workload(
        name=profile.name,
        source=f"profile {profile.name}",
        replicas=replicas,
        limit_cpus=profile.cpus,
        limit_memory=profile.memory,
        request_cpus=profile.cpu_request,
        request_memory=profile.memory_request,
    )


def _compose_workloads(doc: Mapping[str, Any], source: str) -> Iterator[Workload]:
    services = doc.get("services") or {}
    if not isinstance(services, dict):
        raise InputError(f"{source}: 'services' must be a mapping of service names")
    for name, svc in services.items():
        svc = svc or {}
        deploy = svc.get("deploy") or {}
        res = deploy.get("resources") or {}
        lim, resv = res.get("limits") or {}, res.get("reservations") or {}
        where = f"{source}: services.{name}"

        def cpus(v: Any, field: str, where: str = where) -> float | None:
            return None if v in (None, "", 0, "0") else parse_cpus(v, what=f"{where}.{field}")

        def size(v: Any, field: str, where: str = where) -> int | None:
            return None if v in (None, "", 0) else parse_size(v, what=f"{where}.{field}")

        replicas = deploy.get("replicas", svc.get("scale", 1))
        yield Workload(
            name=str(name),
            source=source,
            replicas=int(replicas if replicas is not None else 1),
            limit_cpus=cpus(lim.get("cpus", svc.get("cpus")), "cpus"),
            limit_memory=size(lim.get("memory", svc.get("mem_limit")), "memory"),
            request_cpus=cpus(resv.get("cpus"), "reservations.cpus"),
            request_memory=size(resv.get("memory", svc.get("mem_reservation")), "reservations.memory"),
            match=(str(name), *([str(svc["container_name"])] if svc.get("container_name") else [])),
        )


_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "ReplicationController", "Job"}


def _pod_spec(doc: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, str]:
    kind = str(doc.get("kind", ""))
    spec = doc.get("spec") or {}
    if kind == "Pod":
        return spec, ""
    if kind in _TEMPLATE_KINDS:
        note = ""
        if kind == "DaemonSet":
            note = "DaemonSet: one pod per node; priced for one node (multiply by your node count)"
        elif kind == "Job":
            note = "Job: priced as if it ran all month"
        return (spec.get("template") or {}).get("spec"), note
    if kind == "CronJob":
        job = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return job.get("spec"), "CronJob: priced as if it ran all month"
    return None, ""


def _k8s_docs(docs: list[Any]) -> Iterator[Mapping[str, Any]]:
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "List":
            yield from (d for d in doc.get("items") or [] if isinstance(d, dict))
        elif isinstance(doc, dict):
            yield doc


def _k8s_workloads(docs: list[Any], source: str) -> Iterator[Workload]:
    for doc in _k8s_docs(docs):
        spec, note = _pod_spec(doc)
        if spec is None:
            continue
        meta = doc.get("metadata") or {}
        name = str(meta.get("name", doc.get("kind", "workload")))
        totals: dict[str, float | None] = {"lc": None, "lm": None, "rc": None, "rm": None}
        names = []
        for c in spec.get("containers") or []:
            names.append(str(c.get("name", "")))
            res = c.get("resources") or {}
            where = f"{source}: {doc.get('kind')}/{name} container {c.get('name')}"
            for key, section, field in (
                ("lc", "limits", "cpu"),
                ("lm", "limits", "memory"),
                ("rc", "requests", "cpu"),
                ("rm", "requests", "memory"),
            ):
                raw = (res.get(section) or {}).get(field)
                if raw is None:
                    continue
                what = f"{where} {section}.{field}"
                value = (
                    float(parse_k8s_quantity(raw, what=what)) if field == "cpu" else k8s_bytes(raw, what=what)
                )
                totals[key] = (totals[key] or 0) + value
        replicas = (
            1
            if doc.get("kind") in ("Pod", "DaemonSet", "Job", "CronJob")
            else (doc.get("spec") or {}).get("replicas", 1)
        )
        yield Workload(
            name=name,
            source=source,
            replicas=int(replicas if replicas is not None else 1),
            limit_cpus=totals["lc"],
            limit_memory=int(totals["lm"]) if totals["lm"] else None,
            request_cpus=totals["rc"],
            request_memory=int(totals["rm"]) if totals["rm"] else None,
            match=(name, *names),
            note=note,
        )


def load_workloads(spec: str, *, replicas: int = 1) -> list[Workload]:
    """Workloads from a profile name, a profile file, a Compose file or a Kubernetes manifest."""
    if spec in BUILTIN:
        return [from_profile(BUILTIN[spec], replicas)]
    path = Path(spec)
    if not path.is_file():
        raise InputError(
            f"--from {spec!r}: not a built-in profile and no such file",
            hint=f"give a Compose file, a Kubernetes manifest, a profile file or one of {', '.join(BUILTIN)}",
        )
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InputError(f"cannot read {path}: {e}") from e
    if len(docs) == 1 and isinstance(docs[0], dict) and "services" in docs[0]:
        return list(_compose_workloads(docs[0], str(path)))
    if any(isinstance(d, dict) and "kind" in d for d in docs):
        found = list(_k8s_workloads(docs, str(path)))
        if not found:
            raise InputError(f"{path}: no Kubernetes workload with a pod template (Pod, Deployment, ...)")
        return found
    if len(docs) == 1 and isinstance(docs[0], dict) and ("memory" in docs[0] or "extends" in docs[0]):
        return [from_profile(load_profile(str(path)), replicas)]
    raise InputError(
        f"{path}: neither a Compose file (services:), a Kubernetes manifest (kind:) nor a profile (memory:)"
    )
