"""Kubernetes workloads -> containers, resolved the way the API server and kubelet resolve them.

Handles Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job and
CronJob, multi-document YAML and `kind: List`. Resolution rules applied:

- a container's `securityContext` field overrides the pod's (runAsUser, runAsGroup,
  runAsNonRoot, seccompProfile); allowPrivilegeEscalation, capabilities, privileged and
  readOnlyRootFilesystem exist only per container;
- allowPrivilegeEscalation is effectively true when the container is privileged or adds
  CAP_SYS_ADMIN, whatever it says (Kubernetes API docs for the field);
- resource requests default to the limits when only the limits are written (API defaulting);
- the seccomp annotations are read only to say that they no longer count.
"""

from __future__ import annotations

from typing import Any

from hardbake.policy.model import Container, Mount, Resources, Role, SourceKind, Workload
from hardbake.policy.positions import load_documents
from hardbake.policy.sources.interface import DocContext

#: kind -> path from the object to its pod spec's parent (the object holding `spec`)
POD_TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
#: kinds whose pods run to completion: no liveness/readiness expected
BATCH_KINDS = frozenset({"Job", "CronJob"})
#: host paths that hand the container the runtime's API (root on the node)
RUNTIME_SOCKETS = (
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
)
_SOCKET_DIRS = (
    "/var/run",
    "/run",
    "/var/run/docker",
    "/run/docker",
    "/run/containerd",
    "/var/run/containerd",
)


def exposes_runtime_socket(host_path: str) -> bool:
    p = "/" + host_path.strip("/")
    return p in RUNTIME_SOCKETS or p in _SOCKET_DIRS


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v)
    return None


def _caps(v: Any) -> tuple[str, ...]:
    return tuple(str(c).upper().removeprefix("CAP_") for c in _list(v))


def _container(
    c: dict[str, Any],
    ctx: DocContext,
    pod: DocContext,
    podspec: dict[str, Any],
    role: Role,
    *,
    kind: str,
    workload: str,
    namespace: str | None,
    annotations: dict[str, Any],
) -> Container:
    sc = _dict(c.get("securityContext"))
    psc = _dict(podspec.get("securityContext"))
    locs = {"container": ctx.loc(), "securityContext": ctx.loc("securityContext")}

    def eff(key: str) -> Any:
        if key in sc:
            locs[key] = ctx.loc("securityContext", key)
            return sc[key]
        if key in psc:
            locs[key] = pod.loc("spec", "securityContext", key)
            return psc[key]
        return None

    run_as_user = _int(eff("runAsUser"))
    run_as_group = _int(eff("runAsGroup"))
    non_root = eff("runAsNonRoot")
    seccomp_type = _str(_dict(eff("seccompProfile")).get("type"))
    if "seccompProfile" in locs:
        locs["seccomp"] = locs["seccompProfile"]
    caps = _dict(sc.get("capabilities"))
    if caps:
        locs["capabilities"] = ctx.loc("securityContext", "capabilities")
        if "add" in caps:
            locs["cap_add"] = ctx.loc("securityContext", "capabilities", "add")
        if "drop" in caps:
            locs["cap_drop"] = ctx.loc("securityContext", "capabilities", "drop")
    cap_add = _caps(caps.get("add"))
    privileged = sc.get("privileged") is True
    ape = sc.get("allowPrivilegeEscalation")
    allow_pe: bool | None = ape if isinstance(ape, bool) else None
    if privileged or "SYS_ADMIN" in cap_add:
        allow_pe = True
    for key in ("allowPrivilegeEscalation", "privileged", "readOnlyRootFilesystem"):
        if key in sc:
            locs[key] = ctx.loc("securityContext", key)
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if key in podspec:
            locs[key] = pod.loc("spec", key)
    ro = sc.get("readOnlyRootFilesystem")

    # volumes mounted by this container
    volumes = {
        str(v.get("name")): (i, v) for i, v in enumerate(_list(podspec.get("volumes"))) if isinstance(v, dict)
    }
    mounts: list[Mount] = []
    memory_volumes: list[tuple[str, bool]] = []
    for vm in _list(c.get("volumeMounts")):
        if not isinstance(vm, dict):
            continue
        hit = volumes.get(str(vm.get("name")))
        if hit is None:
            continue
        i, vol = hit
        if "hostPath" in vol:
            path = str(_dict(vol["hostPath"]).get("path", ""))
            mounts.append(Mount(path, str(vm.get("mountPath", "")), vm.get("readOnly") is True, "hostPath"))
            locs[f"mount:{path}"] = pod.loc("spec", "volumes", i, "hostPath", "path")
        empty = vol.get("emptyDir")
        if isinstance(empty, dict) and str(empty.get("medium", "")) == "Memory":
            memory_volumes.append((str(vol.get("name")), "sizeLimit" in empty))
            locs[f"emptyDir:{vol.get('name')}"] = pod.loc("spec", "volumes", i, "emptyDir")

    res = _dict(c.get("resources"))
    req, lim = _dict(res.get("requests")), _dict(res.get("limits"))
    locs["resources"] = ctx.loc("resources")
    for section, values in (("requests", req), ("limits", lim)):
        for k in values:
            locs[f"{section}.{k}"] = ctx.loc("resources", section, k)

    def request(key: str) -> str | None:
        # API defaulting: a request left out takes the limit's value
        if key in req:
            return _str(req[key])
        if key in lim:
            locs[f"requests.{key}"] = locs[f"limits.{key}"]
            return _str(lim[key])
        return None

    resources = Resources(
        cpu_request=request("cpu"),
        cpu_limit=_str(lim.get("cpu")),
        memory_request=request("memory"),
        memory_limit=_str(lim.get("memory")),
        ephemeral_request=request("ephemeral-storage"),
        ephemeral_limit=_str(lim.get("ephemeral-storage")),
    )
    probes = role is Role.main and kind not in BATCH_KINDS
    for key in ("livenessProbe", "readinessProbe", "image"):
        if key in c:
            locs[key] = ctx.loc(key)
    name = str(c.get("name", ""))
    seccomp_ann = _str(
        annotations.get(f"container.seccomp.security.alpha.kubernetes.io/{name}")
        or annotations.get("seccomp.security.alpha.kubernetes.io/pod")
    )
    user = str(run_as_user) if run_as_user is not None else None
    return Container(
        source=SourceKind.kubernetes,
        file=ctx.file,
        workload=workload,
        name=name,
        where=ctx.loc(),
        role=role,
        kind=kind,
        namespace=namespace,
        image=_str(c.get("image")),
        user=user,
        run_as_user=run_as_user,
        run_as_group=run_as_group,
        run_as_non_root=non_root if isinstance(non_root, bool) else None,
        allow_privilege_escalation=allow_pe,
        privileged=privileged,
        cap_add=cap_add,
        cap_drop=_caps(caps.get("drop")),
        host_network=podspec.get("hostNetwork") is True,
        host_pid=podspec.get("hostPID") is True,
        host_ipc=podspec.get("hostIPC") is True,
        seccomp=seccomp_type,
        seccomp_annotation=seccomp_ann,
        read_only_root=ro if isinstance(ro, bool) else None,
        mounts=tuple(mounts),
        memory_volumes=tuple(memory_volumes),
        resources=resources,
        healthcheck=("livenessProbe" in c) if probes else None,
        readiness=("readinessProbe" in c) if probes else None,
        locations=locs,
        raw=c,
    )


def workload_from_object(obj: Any, ctx: DocContext, namespace: str | None = None) -> Workload | None:
    """One Kubernetes object -> a Workload, or None when it is not a workload kind."""
    if not isinstance(obj, dict):
        return None
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in POD_TEMPLATE_PATHS:
        return None
    meta = _dict(obj.get("metadata"))
    ns = namespace or _str(meta.get("namespace")) or "default"
    wname = f"{kind}/{meta.get('name') or meta.get('generateName') or '?'}"
    tpl_path = POD_TEMPLATE_PATHS[kind]
    tpl: Any = obj
    for k in tpl_path:
        tpl = _dict(tpl).get(k)
    tpl = _dict(tpl)
    podspec = _dict(tpl.get("spec"))
    pod = ctx.sub(*tpl_path)
    annotations = _dict(_dict(tpl.get("metadata")).get("annotations"))
    containers: list[Container] = []
    for key, role in (
        ("initContainers", Role.init),
        ("containers", Role.main),
        ("ephemeralContainers", Role.ephemeral),
    ):
        for i, c in enumerate(_list(podspec.get(key))):
            if isinstance(c, dict):
                containers.append(
                    _container(
                        c,
                        pod.sub("spec", key, i),
                        pod,
                        podspec,
                        role,
                        kind=kind,
                        workload=wname,
                        namespace=ns,
                        annotations=annotations,
                    )
                )
    return Workload(SourceKind.kubernetes, ctx.file, wname, obj, tuple(containers), ctx.loc(), ns)


def is_kubernetes(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("kind"), str) and "apiVersion" in doc


def workloads_from_document(doc: dict[str, Any], ctx: DocContext) -> list[Workload]:
    """The workloads of one Kubernetes document (a `*List` is unpacked)."""
    out: list[Workload] = []
    if str(doc.get("kind", "")).endswith("List"):
        for i, item in enumerate(_list(doc.get("items"))):
            w = workload_from_object(item, ctx.sub("items", i))
            if w is not None:
                out.append(w)
        return out
    w = workload_from_object(doc, ctx)
    return [w] if w is not None else []


def load(text: str, file: str) -> list[Workload]:
    """Every workload in a (multi-document) Kubernetes YAML file, `kind: List` unpacked."""
    out: list[Workload] = []
    for doc, positions in load_documents(text, file):
        if is_kubernetes(doc):
            out.extend(workloads_from_document(doc, DocContext(file, positions)))
    return out
