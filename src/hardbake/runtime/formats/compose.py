"""A Compose service (compose-spec), as the article's "Docker Compose Resource Configuration" writes
it: `deploy.resources` limits and reservations (cpus, memory, pids), swap equal to memory,
read-only root, sized noexec tmpfs, no-new-privileges, all capabilities dropped."""

from __future__ import annotations

from typing import Any

from hardbake.runtime.formats.interface import comment_block, dump_yaml, explanation
from hardbake.runtime.plan import RunPlan
from hardbake.runtime.units import compose_size, cpus_text, docker_size


def service(plan: RunPlan) -> dict[str, Any]:
    p = plan.profile
    svc: dict[str, Any] = {"image": plan.image.pinned, "user": plan.user}
    if plan.command:
        svc["command"] = list(plan.command)
    limits: dict[str, Any] = {"cpus": cpus_text(p.cpus), "memory": compose_size(p.memory)}
    if p.pids:
        limits["pids"] = p.pids
    resources: dict[str, Any] = {"limits": limits}
    reservations: dict[str, Any] = {}
    if p.cpu_request:
        reservations["cpus"] = cpus_text(p.cpu_request)
    if p.memory_request:
        reservations["memory"] = compose_size(p.memory_request)
    if reservations:
        resources["reservations"] = reservations
    svc["deploy"] = {"resources": resources}
    svc["memswap_limit"] = compose_size(p.memory_swap)
    if p.read_only:
        svc["read_only"] = True
    if p.tmpfs:
        svc["tmpfs"] = [f"{t.path}:{t.docker_options()}" for t in p.tmpfs]
    if p.storage:
        svc["storage_opt"] = {"size": compose_size(p.storage)}
    if p.blkio is not None and p.devices:
        b = p.blkio
        blkio: dict[str, Any] = {}
        for key, rate in (
            ("device_read_bps", docker_size(b.read_bps) if b.read_bps else None),
            ("device_write_bps", docker_size(b.write_bps) if b.write_bps else None),
            ("device_read_iops", b.read_iops),
            ("device_write_iops", b.write_iops),
        ):
            if rate is not None:
                blkio[key] = [{"path": dev, "rate": rate} for dev in p.devices]
        svc["blkio_config"] = blkio
    if p.no_new_privileges:
        svc["security_opt"] = ["no-new-privileges:true"]
    if p.cap_drop:
        svc["cap_drop"] = list(p.cap_drop)
    if p.cap_add:
        svc["cap_add"] = list(p.cap_add)
    if p.network:
        svc["network_mode"] = p.network
    if p.restart != "no":
        svc["restart"] = p.restart
    if p.log is not None:
        svc["logging"] = {
            "driver": "json-file",
            "options": {"max-size": docker_size(p.log.max_size), "max-file": str(p.log.max_file)},
        }
    if plan.healthcheck is not None:
        h = plan.healthcheck
        svc["healthcheck"] = {
            "test": ["CMD", *h.test],
            "interval": f"{h.interval}s",
            "timeout": f"{h.timeout}s",
            "retries": h.retries,
            "start_period": f"{h.start_period}s",
        }
    if plan.env:
        svc["environment"] = dict(plan.env)
    if plan.labels:
        svc["labels"] = dict(plan.labels)
    return svc


def document(plan: RunPlan) -> dict[str, Any]:
    return {"services": {plan.name: service(plan)}}


def render(plan: RunPlan) -> str:
    body = dump_yaml(document(plan))
    return comment_block(explanation(plan)) + body
