"""`hardbake run`: start a container under a run plan through the Engine API (docker SDK).

The same plan that `hardbake limits` renders becomes the Engine API's HostConfig here, so
what is generated and what runs cannot drift. Unlike `docker run --health-cmd`, the API takes
an exec-form healthcheck, which shell-less images need. The image is never pulled unless
asked (`pull=True`): a run must not quietly fetch something other than what was reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hardbake.errors import EnvError, InputError
from hardbake.runtime.plan import RunPlan
from hardbake.runtime.units import docker_size

_NS = 1_000_000_000


@dataclass(frozen=True)
class Started:
    id: str
    name: str
    warnings: tuple[str, ...]


def _restart_policy(restart: str) -> dict[str, Any]:
    name, _, count = restart.partition(":")
    policy: dict[str, Any] = {"Name": name}
    if count:
        policy["MaximumRetryCount"] = int(count)
    return policy


def create_kwargs(plan: RunPlan, *, network: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """docker SDK `containers.create` keyword arguments for `plan`, and warnings about dropped settings."""
    from docker.types import LogConfig

    p = plan.profile
    warnings: list[str] = []
    kw: dict[str, Any] = {
        "name": plan.name,
        "user": plan.user,
        "mem_limit": p.memory,
        "memswap_limit": p.memory_swap,
        "nano_cpus": round(p.cpus * _NS),
        "read_only": p.read_only,
        "cap_drop": list(p.cap_drop),
        "environment": dict(plan.env),
        "labels": dict(plan.labels),
        "detach": True,
    }
    if p.memory_request:
        kw["mem_reservation"] = p.memory_request
    if p.pids:
        kw["pids_limit"] = p.pids
    if p.tmpfs:
        kw["tmpfs"] = {t.path: t.docker_options() for t in p.tmpfs}
    if p.storage:
        if plan.engine is not None and plan.engine.storage_quota is False:
            if not p.read_only:
                raise EnvError(
                    plan.engine.storage_quota_note,
                    hint="drop the storage limit with --set storage= (or make the root read-only)",
                )
            warnings.append(
                f"storage limit {docker_size(p.storage)} not applied: {plan.engine.storage_quota_note}; "
                "the read-only root and the sized tmpfs mounts still bound what the container can write"
            )
        else:
            kw["storage_opt"] = {"size": docker_size(p.storage)}
    if p.blkio is not None and p.devices:
        b = p.blkio
        for key, rate in (
            ("device_read_bps", b.read_bps),
            ("device_write_bps", b.write_bps),
            ("device_read_iops", b.read_iops),
            ("device_write_iops", b.write_iops),
        ):
            if rate:
                kw[key] = [{"Path": dev, "Rate": rate} for dev in p.devices]
    if p.no_new_privileges:
        kw["security_opt"] = ["no-new-privileges:true"]
    if p.cap_add:
        kw["cap_add"] = list(p.cap_add)
    net = network or p.network
    if net:
        kw["network_mode"] = net
    if p.restart != "no":
        kw["restart_policy"] = _restart_policy(p.restart)
    if p.log is not None:
        kw["log_config"] = LogConfig(
            type="json-file",
            config={"max-size": docker_size(p.log.max_size), "max-file": str(p.log.max_file)},
        )
    if plan.healthcheck is not None:
        h = plan.healthcheck
        kw["healthcheck"] = {
            "test": ["CMD", *h.test],
            "interval": h.interval * _NS,
            "timeout": h.timeout * _NS,
            "retries": h.retries,
            "start_period": h.start_period * _NS,
        }
    if plan.command:
        kw["command"] = list(plan.command)
    return kw, warnings


def start(client: Any, plan: RunPlan, *, network: str | None = None, pull: bool = False) -> Started:
    """Create and start the container; the engine's refusals become hardbake errors."""
    import docker.errors

    kwargs, warnings = create_kwargs(plan, network=network)
    image = plan.image.pinned
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound as e:
        if not pull:
            raise InputError(
                f"image {image!r} is not in the local engine",
                hint="pull it first, or pass --pull to let hardbake pull it",
            ) from e
        try:
            client.images.pull(image)
        except docker.errors.APIError as pe:
            raise EnvError(f"pulling {image!r} failed: {pe.explanation or pe}") from pe
    try:
        container = client.containers.create(image, **kwargs)
    except docker.errors.APIError as e:
        text = str(e.explanation or e)
        if e.status_code == 409:
            raise InputError(
                f"a container named {plan.name!r} already exists",
                hint="choose another with --name, or remove the old one",
            ) from e
        raise EnvError(f"the engine refused to create the container: {text}") from e
    try:
        container.start()
    except docker.errors.APIError as e:
        container.remove(force=True)
        raise EnvError(f"the engine refused to start the container: {e.explanation or e}") from e
    return Started(container.id, plan.name, tuple(warnings))
