"""Compose files (compose-spec) -> one container per service, with the engine's defaults.

Reads every field the rules need: image/build, user, privileged, cap_add/cap_drop,
security_opt, network_mode/pid/ipc, volumes (short and long syntax), read_only, tmpfs,
`deploy.resources` (limits: cpus, memory, pids; reservations: cpus, memory) and the legacy
`cpus`/`mem_limit`/`memswap_limit`/`mem_reservation`/`pids_limit`/`storage_opt`,
healthcheck, restart and `deploy.restart_policy`, logging. Interpolation resolves only
`${VAR:-default}` defaults (see dockeropts.interpolate). `extends` is not followed.
"""

from __future__ import annotations

from typing import Any

from hardbake.policy.model import Container, Mount, Resources, SourceKind, Tmpfs, Workload
from hardbake.policy.positions import load_documents
from hardbake.policy.sources import dockeropts as d
from hardbake.policy.sources.interface import DocContext


def is_compose(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("services"), dict) and "apiVersion" not in doc


def _s(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v).lower()
    return d.interpolate(str(v))


def _strs(v: Any) -> list[str]:
    if isinstance(v, str):
        return [d.interpolate(v)]
    if isinstance(v, list):
        return [d.interpolate(str(x)) for x in v if x is not None]
    return []


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _truthy(v: Any) -> bool:
    return v is True or (isinstance(v, str) and d.interpolate(v).strip().lower() in ("true", "yes", "1"))


def service_container(name: str, svc: dict[str, Any], ctx: DocContext) -> Container:
    locs = {k: ctx.loc(k) for k in svc}
    locs["container"] = ctx.loc()
    user = _s(svc.get("user"))
    u = d.parse_user(user) if user else None
    sec = d.parse_security_opts(_strs(svc.get("security_opt")))
    if "security_opt" in svc:
        locs["allowPrivilegeEscalation"] = locs["seccomp"] = ctx.loc("security_opt")
    privileged = _truthy(svc.get("privileged"))
    seccomp = sec.seccomp or "RuntimeDefault"
    if privileged:
        seccomp = "Unconfined"  # --privileged runs without the default seccomp profile
    cap_add = d.normalise_caps(_strs(svc.get("cap_add")))
    nnp = sec.no_new_privileges
    allow_pe: bool | None = None if nnp is None else not nnp
    if privileged:
        allow_pe = True

    mounts: list[Mount] = []
    tmpfs: list[Tmpfs] = [d.parse_tmpfs(t) for t in _strs(svc.get("tmpfs"))]
    for i, v in enumerate(svc.get("volumes") or []):
        if isinstance(v, str):
            m = d.parse_volume(d.interpolate(v))
            if m:
                mounts.append(m)
                locs[f"mount:{m.source}"] = ctx.loc("volumes", i)
        elif isinstance(v, dict):
            kind = v.get("type")
            if kind == "bind":
                m = Mount(_s(v.get("source")) or "", _s(v.get("target")) or "", _truthy(v.get("read_only")))
                mounts.append(m)
                locs[f"mount:{m.source}"] = ctx.loc("volumes", i)
            elif kind == "tmpfs":
                size = _s(_dict(v.get("tmpfs")).get("size"))
                tmpfs.append(
                    d.tmpfs_from_options(_s(v.get("target")) or "", [f"size={size}"] if size else [])
                )
    for t in tmpfs:
        locs[f"tmpfs:{t.target}"] = ctx.loc("tmpfs") if "tmpfs" in svc else ctx.loc("volumes")

    deploy = _dict(svc.get("deploy"))
    res = _dict(deploy.get("resources"))
    lim, rsv = _dict(res.get("limits")), _dict(res.get("reservations"))
    dctx = ctx.sub("deploy", "resources")

    def pick(*options: tuple[dict[str, Any], str, DocContext, tuple[str, ...]], key: str) -> str | None:
        for src, field, c, path in options:
            if field in src and src[field] is not None:
                locs[key] = c.loc(*path)
                return _s(src[field])
        return None

    cpu_limit = pick(
        (lim, "cpus", dctx, ("limits", "cpus")),
        (svc, "cpus", ctx, ("cpus",)),
        (svc, "cpu_quota", ctx, ("cpu_quota",)),
        key="limits.cpu",
    )
    mem_limit = pick(
        (lim, "memory", dctx, ("limits", "memory")),
        (svc, "mem_limit", ctx, ("mem_limit",)),
        key="limits.memory",
    )
    pids = pick(
        (lim, "pids", dctx, ("limits", "pids")), (svc, "pids_limit", ctx, ("pids_limit",)), key="pids"
    )
    cpu_req = pick((rsv, "cpus", dctx, ("reservations", "cpus")), key="requests.cpu")
    mem_req = pick(
        (rsv, "memory", dctx, ("reservations", "memory")),
        (svc, "mem_reservation", ctx, ("mem_reservation",)),
        key="requests.memory",
    )
    swap = pick((svc, "memswap_limit", ctx, ("memswap_limit",)), key="swap")
    storage = _dict(svc.get("storage_opt"))
    eph = _s(storage.get("size")) if storage else None
    if eph is not None:
        locs["limits.ephemeral-storage"] = ctx.loc("storage_opt", "size")
    if "deploy" in svc:
        locs["resources"] = ctx.loc("deploy")
    if pids is not None and pids.strip() in ("0", "-1"):
        pids = None  # 0 and -1 mean unlimited
    if pids is None and "pids" not in locs:
        locs["pids"] = locs.get("resources", ctx.loc())

    hc = svc.get("healthcheck")
    healthcheck: bool | None = None
    if isinstance(hc, dict):
        test = hc.get("test")
        disabled = _truthy(hc.get("disable")) or (isinstance(test, list) and test[:1] == ["NONE"])
        healthcheck = not disabled and test is not None
        if not healthcheck and not disabled:
            healthcheck = None  # a healthcheck block tuning the image's own check
        if disabled:
            healthcheck = False
        locs["healthcheck"] = ctx.loc("healthcheck")

    restart = _s(svc.get("restart"))
    rp = _dict(deploy.get("restart_policy"))
    if restart is None and isinstance(deploy.get("restart_policy"), dict):
        cond = _s(rp.get("condition")) or "any"
        restart = {"none": "no", "any": "always"}.get(cond, cond)
        locs["restart"] = ctx.loc("deploy", "restart_policy")
    logging = _dict(svc.get("logging"))
    driver = _s(logging.get("driver"))
    opts = {str(k): _s(v) or "" for k, v in _dict(logging.get("options")).items()}
    if "logging" in svc:
        locs["logging"] = ctx.loc("logging")
    if "network_mode" in svc:
        locs["hostNetwork"] = ctx.loc("network_mode")
    for key, field in (
        ("hostPID", "pid"),
        ("hostIPC", "ipc"),
        ("readOnlyRootFilesystem", "read_only"),
        ("privileged", "privileged"),
        ("cap_add", "cap_add"),
        ("cap_drop", "cap_drop"),
        ("user", "user"),
        ("image", "image"),
    ):
        if field in svc:
            locs[key] = ctx.loc(field)
    return Container(
        source=SourceKind.compose,
        file=ctx.file,
        workload=f"service {name}",
        name=name,
        where=ctx.loc(),
        image=_s(svc.get("image")),
        image_built="build" in svc,
        user=user,
        run_as_user=u.uid if u else None,
        run_as_group=u.gid if u else None,
        allow_privilege_escalation=allow_pe,
        privileged=privileged,
        cap_add=cap_add,
        cap_drop=d.normalise_caps(_strs(svc.get("cap_drop"))),
        host_network=_s(svc.get("network_mode")) == "host",
        host_pid=_s(svc.get("pid")) == "host",
        host_ipc=_s(svc.get("ipc")) == "host",
        seccomp=seccomp,
        read_only_root=_truthy(svc.get("read_only")),
        tmpfs=tuple(tmpfs),
        mounts=tuple(mounts),
        resources=Resources(cpu_req, cpu_limit, mem_req, mem_limit, None, eph, pids, swap),
        healthcheck=healthcheck,
        restart=restart,
        log_driver=driver,
        log_rotation=d.log_rotation(driver, opts),
        locations=locs,
        raw=svc,
        notes=sec.problems,
    )


def workloads_from_document(doc: dict[str, Any], ctx: DocContext) -> list[Workload]:
    """One workload per service of a Compose document."""
    out: list[Workload] = []
    for name, svc in doc["services"].items():
        if not isinstance(svc, dict):
            continue
        sctx = ctx.sub("services", str(name))
        c = service_container(str(name), svc, sctx)
        out.append(Workload(SourceKind.compose, ctx.file, f"service {name}", svc, (c,), sctx.loc()))
    return out


def load(text: str, file: str) -> list[Workload]:
    out: list[Workload] = []
    for doc, positions in load_documents(text, file):
        if is_compose(doc):
            out.extend(workloads_from_document(doc, DocContext(file, positions)))
    return out
