"""`hardbake diagnose`: one container's limits against what it uses, why it stopped, what to do.

The article's troubleshooting section runs `docker logs | grep oom`, `docker inspect | jq`,
and `docker exec ... ps aux` / `top` / `free` inside the container. A hardened image has no
shell, no ps and no free, so everything here comes from the Engine API instead: inspect
(limits, state, OOMKilled, restart count), one stats reading (usage, peak, throttling, pids),
`top` (the engine lists the container's processes from the host side) and the log tail.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from hardbake.runtime.engine import find_container
from hardbake.runtime.exitcodes import explain_exit
from hardbake.runtime.stats import Sample, compute, cpu_limit_of
from hardbake.runtime.units import MiB, cpus_text, human_size


@dataclass(frozen=True)
class LimitRow:
    name: str
    configured: str
    observed: str
    status: str  # ok | near | at-limit | unset | info


@dataclass(frozen=True)
class Diagnosis:
    container_id: str
    name: str
    image: str
    status: str
    exit_code: int | None
    exit_meaning: str | None
    oom_killed: bool
    restart_count: int
    started_at: str | None
    finished_at: str | None
    limits: tuple[LimitRow, ...]
    processes: tuple[dict[str, str], ...]
    log_tail: tuple[str, ...]
    next_steps: tuple[str, ...]
    sample: dict[str, Any] | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _stats_sample(client: Any, cid: str, name: str, cpu_limit: float | None) -> tuple[Sample, dict[str, Any]]:
    doc: dict[str, Any] = client.api.stats(cid, stream=False)
    return compute(doc, container_id=cid, name=name, now=0.0, cpu_limit=cpu_limit), doc


def _processes(client: Any, cid: str) -> tuple[dict[str, str], ...]:
    import docker.errors

    try:
        top = client.api.top(cid)
    except docker.errors.APIError:
        return ()
    titles = [str(t) for t in top.get("Titles") or []]
    return tuple({t: str(v) for t, v in zip(titles, row, strict=False)} for row in top.get("Processes") or [])


def _log_tail(client: Any, cid: str, lines: int) -> tuple[str, ...]:
    import docker.errors

    if lines <= 0:
        return ()
    try:
        raw: bytes = client.api.logs(cid, tail=lines, stdout=True, stderr=True)
    except docker.errors.APIError:
        return ()
    return tuple(raw.decode("utf-8", "replace").splitlines()[-lines:])


def diagnose(client: Any, ref: str, *, log_lines: int = 10) -> Diagnosis:
    container = find_container(client, ref)
    attrs: dict[str, Any] = container.attrs
    cid, name = str(attrs["Id"]), str(attrs.get("Name", "")).lstrip("/")
    state = attrs.get("State") or {}
    host = attrs.get("HostConfig") or {}
    config = attrs.get("Config") or {}
    running = bool(state.get("Running"))
    cpu_limit = cpu_limit_of(host)
    sample: Sample | None = None
    doc: dict[str, Any] = {}
    if running:
        sample, doc = _stats_sample(client, cid, name, cpu_limit)
    exit_code = None if running else int(state.get("ExitCode") or 0)
    oom = bool(state.get("OOMKilled"))
    restarts = int(attrs.get("RestartCount") or 0)
    rows, steps = _limits_and_steps(host, config, sample, doc, oom, exit_code, restarts, name)
    meaning = explain_exit(exit_code, oom_killed=oom) if exit_code is not None else None
    return Diagnosis(
        container_id=cid,
        name=name,
        image=str(config.get("Image", "")),
        status=str(state.get("Status", "")),
        exit_code=exit_code,
        exit_meaning=meaning,
        oom_killed=oom,
        restart_count=restarts,
        started_at=state.get("StartedAt"),
        finished_at=None if running else state.get("FinishedAt"),
        limits=tuple(rows),
        processes=_processes(client, cid) if running else (),
        log_tail=_log_tail(client, cid, log_lines),
        next_steps=tuple(steps),
        sample=sample.to_json() if sample else None,
    )


def _pct_status(pct: float) -> str:
    return "at-limit" if pct >= 98 else "near" if pct >= 90 else "ok"


def _limits_and_steps(
    host: dict[str, Any],
    config: dict[str, Any],
    sample: Sample | None,
    doc: dict[str, Any],
    oom: bool,
    exit_code: int | None,
    restarts: int,
    name: str,
) -> tuple[list[LimitRow], list[str]]:
    rows: list[LimitRow] = []
    steps: list[str] = []
    memory = int(host.get("Memory") or 0)
    swap = int(host.get("MemorySwap") or 0)
    peak = int((doc.get("memory_stats") or {}).get("max_usage") or 0)
    # memory
    if memory:
        if sample is not None:
            seen = f"{human_size(sample.memory_used)} ({sample.memory_percent:.0f}%)"
            if peak:
                seen += f", peak {human_size(peak)}"
            rows.append(LimitRow("memory", human_size(memory), seen, _pct_status(sample.memory_percent)))
            if sample.memory_percent >= 90:
                steps.append(
                    f"memory is at {sample.memory_percent:.0f}% of its {human_size(memory)} limit: raise the "
                    "limit or cap the runtime's heap before the OOM killer does"
                )
        else:
            rows.append(LimitRow("memory", human_size(memory), "-", "info"))
    else:
        rows.append(LimitRow("memory", "none", human_size(sample.memory_used) if sample else "-", "unset"))
        steps.append(
            "no memory limit: one container can exhaust the host; "
            "generate limits with `hardbake limits production`"
        )
    if memory:
        if swap == memory:
            rows.append(LimitRow("swap", "off (memory-swap = memory)", "-", "ok"))
        else:
            text = (
                "unlimited"
                if swap == -1
                else "memory x 2 (engine default)"
                if swap == 0
                else human_size(swap - memory)
            )
            rows.append(LimitRow("swap", text, "-", "unset"))
            steps.append(
                f"swap is allowed ({text}): set --memory-swap equal to --memory so a leak fails fast"
            )
    # cpu
    cpu_limit = cpu_limit_of(host)
    throttle = (doc.get("cpu_stats") or {}).get("throttling_data") or {}
    periods, throttled = int(throttle.get("periods") or 0), int(throttle.get("throttled_periods") or 0)
    if cpu_limit:
        seen = "-"
        status = "info"
        if sample is not None and sample.cpu_percent is not None:
            seen = f"{sample.cpu_percent / 100:.2f} CPUs ({sample.cpu_of_limit or 0:.0f}% of limit)"
            status = _pct_status(sample.cpu_of_limit or 0)
        if periods:
            ratio = throttled / periods * 100
            seen += f", throttled in {ratio:.0f}% of {periods} periods"
            # A few periods (a start-up burst) say nothing; 50 periods is 5 s of running.
            if ratio >= 20 and periods >= 50:
                steps.append(
                    f"CPU was throttled in {ratio:.0f}% of scheduling periods: raise --cpus above "
                    f"{cpus_text(cpu_limit)} or find the hot loop"
                )
        rows.append(LimitRow("cpus", cpus_text(cpu_limit), seen, status))
    else:
        rows.append(LimitRow("cpus", "none", "-", "unset"))
        steps.append("no CPU limit: set --cpus so one container cannot starve the others")
    # pids
    pids_limit = int(host.get("PidsLimit") or 0)
    if pids_limit > 0:
        seen, status = "-", "info"
        if sample is not None:
            pct = sample.pids / pids_limit * 100
            seen, status = f"{sample.pids}", _pct_status(pct)
            if pct >= 90:
                steps.append(
                    f"{sample.pids} of {pids_limit} pids in use: a fork loop or thread leak is being held "
                    "back by the limit; raise it only if the process count is legitimate"
                )
        rows.append(LimitRow("pids", str(pids_limit), seen, status))
    else:
        rows.append(LimitRow("pids", "none", str(sample.pids) if sample else "-", "unset"))
        steps.append("no pids limit: a fork bomb can exhaust the host's process table; set --pids-limit")
    # filesystem and privileges
    read_only = bool(host.get("ReadonlyRootfs"))
    tmpfs = host.get("Tmpfs") or {}
    rows.append(LimitRow("read-only root", "yes" if read_only else "no", "-", "ok" if read_only else "unset"))
    for path, opts in tmpfs.items():
        rows.append(
            LimitRow(
                f"tmpfs {path}", str(opts) or "(defaults)", "-", "ok" if "size=" in str(opts) else "unset"
            )
        )
    storage = (host.get("StorageOpt") or {}).get("size")
    if storage:
        rows.append(LimitRow("storage", str(storage), "-", "ok"))
    user = str(config.get("User") or "")
    root = user in ("", "0", "root") or user.startswith(("0:", "root:"))
    rows.append(LimitRow("user", user or "root (image default)", "-", "unset" if root else "ok"))
    nnp = any(o.startswith("no-new-privileges") for o in host.get("SecurityOpt") or [])
    rows.append(LimitRow("no-new-privileges", "yes" if nnp else "no", "-", "ok" if nnp else "unset"))
    cap_drop = [str(c) for c in host.get("CapDrop") or []]
    rows.append(
        LimitRow("cap-drop", ",".join(cap_drop) or "none", "-", "ok" if "ALL" in cap_drop else "unset")
    )
    policy = host.get("RestartPolicy") or {}
    rows.append(LimitRow("restart", str(policy.get("Name") or "no"), f"{restarts} restarts", "info"))
    # what happened
    if oom:
        target = f"{math.ceil(max(memory, peak) * 1.25 / MiB)}m" if memory else "a limit above its peak"
        steps.insert(
            0,
            f"OOM-killed at its {human_size(memory) if memory else 'host'} memory limit: give it more "
            f"(try {target}: --set memory=...) or cap the runtime's heap below the limit (`hardbake limits` "
            "sets NODE_OPTIONS / JAVA_TOOL_OPTIONS / GOMEMLIMIT from the limit)",
        )
    elif exit_code:
        steps.insert(0, f"{explain_exit(exit_code)}; read why with `docker logs {name}`")
        if exit_code == 126 and read_only:
            steps.insert(1, "126 with a read-only root: something tried to run a file from a noexec tmpfs")
    if restarts:
        steps.append(f"restarted {restarts} times: the restart policy hides a crash loop; fix the exit above")
    if root:
        steps.append("runs as root: run as a numeric non-root user (--user 65532:65532)")
    if not read_only:
        steps.append("the root filesystem is writable: use --read-only with a sized noexec tmpfs for /tmp")
    if not steps:
        steps.append("nothing to fix: the container is within its limits and hardened")
    return rows, steps
