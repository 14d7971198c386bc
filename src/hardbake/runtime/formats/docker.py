"""`docker run` flags, exactly as the Docker CLI takes them (article: "Security-Focused Resource
Configuration"), one flag per line for review, shell-quoted."""

from __future__ import annotations

import shlex

from hardbake.runtime.formats.interface import comment_block, explanation
from hardbake.runtime.plan import RunPlan
from hardbake.runtime.units import cpus_text, docker_size


def docker_flags(plan: RunPlan) -> list[list[str]]:
    """Groups of flags (one group per line of output), without `docker run` and the image."""
    p = plan.profile
    lines: list[list[str]] = []
    mem = ["--memory", docker_size(p.memory), "--memory-swap", docker_size(p.memory_swap)]
    if p.memory_request:
        mem += ["--memory-reservation", docker_size(p.memory_request)]
    lines.append(mem)
    lines.append(["--cpus", cpus_text(p.cpus)])
    if p.pids:
        lines.append(["--pids-limit", str(p.pids)])
    if p.read_only:
        lines.append(["--read-only"])
    for t in p.tmpfs:
        lines.append(["--tmpfs", f"{t.path}:{t.docker_options()}"])
    if p.storage:
        lines.append(["--storage-opt", f"size={docker_size(p.storage)}"])
    if p.blkio is not None:
        for dev in p.devices:
            b = p.blkio
            flags: list[str] = []
            if b.read_bps:
                flags += ["--device-read-bps", f"{dev}:{docker_size(b.read_bps)}"]
            if b.write_bps:
                flags += ["--device-write-bps", f"{dev}:{docker_size(b.write_bps)}"]
            if b.read_iops:
                flags += ["--device-read-iops", f"{dev}:{b.read_iops}"]
            if b.write_iops:
                flags += ["--device-write-iops", f"{dev}:{b.write_iops}"]
            if flags:
                lines.append(flags)
    if p.no_new_privileges:
        lines.append(["--security-opt", "no-new-privileges:true"])
    for cap in p.cap_drop:
        lines.append(["--cap-drop", cap])
    for cap in p.cap_add:
        lines.append(["--cap-add", cap])
    lines.append(["--user", plan.user])
    if p.network:
        lines.append(["--network", p.network])
    if p.restart != "no":
        lines.append(["--restart", p.restart])
    if p.log is not None:
        lines.append(
            [
                "--log-driver",
                "json-file",
                "--log-opt",
                f"max-size={docker_size(p.log.max_size)}",
                "--log-opt",
                f"max-file={p.log.max_file}",
            ]
        )
    for key, value in plan.env.items():
        lines.append(["--env", f"{key}={value}"])
    for key, value in plan.labels.items():
        lines.append(["--label", f"{key}={value}"])
    lines.append(["--name", plan.name])
    return lines


def render(plan: RunPlan) -> str:
    notes: tuple[str, ...] = ()
    if plan.healthcheck is not None and plan.healthcheck_source == "profile":
        notes = (
            "docker run cannot give an exec-form healthcheck (--health-cmd always runs through "
            "/bin/sh, which hardened images lack): bake it into the image with HEALTHCHECK CMD [...], "
            "or use `hardbake run`, Compose or Kubernetes, which take the exec form",
        )
    body = ["docker run --detach"]
    for group in docker_flags(plan):
        body.append("  " + " ".join(shlex.quote(x) for x in group))
    tail = "  " + shlex.quote(plan.image.pinned)
    if plan.command:
        tail += " " + " ".join(shlex.quote(c) for c in plan.command)
    body.append(tail)
    return comment_block(explanation(plan, notes)) + " \\\n".join(body) + "\n"
