"""The Docker engine as the runtime tools see it: a client that answered, and what it can enforce.

Everything here talks to the Engine API through the docker SDK (the `docker` CLI is never
run). Errors become hardbake errors with a hint: no engine is an environment error (exit 3),
a container that does not exist is an input error (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hardbake.errors import EnvError, InputError


def connect(timeout: int = 60) -> Any:
    """A docker SDK client whose engine answered a ping."""
    import docker
    import docker.errors

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, OSError) as e:
        raise EnvError(
            f"no Docker engine answers: {e}",
            hint="start the engine (or set DOCKER_HOST) and check that you may use its socket",
        ) from e
    return client


@dataclass(frozen=True)
class EngineFacts:
    """What the engine can enforce, read from `docker info`."""

    storage_driver: str
    backing_filesystem: str | None
    cgroup_version: str
    storage_quota: bool | None  # None: cannot tell

    @property
    def storage_quota_note(self) -> str:
        if self.storage_quota is False:
            return (
                f"this engine's storage driver ({self.storage_driver} on "
                f"{self.backing_filesystem or 'an unknown filesystem'}) cannot limit a container's "
                "writable layer: --storage-opt size needs overlay2 on xfs mounted with pquota, "
                "or btrfs, zfs or devicemapper"
            )
        return ""


def engine_facts(client: Any) -> EngineFacts:
    info = client.info()
    driver = str(info.get("Driver", ""))
    status = {str(k): str(v) for k, v in (info.get("DriverStatus") or [])}
    backing = status.get("Backing Filesystem")
    quota: bool | None
    if driver in ("btrfs", "zfs", "devicemapper", "windowsfilter"):
        quota = True
    elif driver in ("overlay2", "fuse-overlayfs"):
        # xfs may still lack the pquota mount option, which `docker info` does not show.
        quota = None if backing == "xfs" else False
    else:
        quota = False
    return EngineFacts(driver, backing, str(info.get("CgroupVersion", "")), quota)


def find_container(client: Any, name_or_id: str) -> Any:
    """The container object, or an InputError that says how to list containers."""
    import docker.errors

    try:
        return client.containers.get(name_or_id)
    except docker.errors.NotFound as e:
        raise InputError(
            f"no container named or with ID {name_or_id!r} in this engine",
            hint="list containers with `docker ps -a`",
        ) from e
    except docker.errors.APIError as e:
        raise EnvError(f"the engine failed to inspect {name_or_id!r}: {e}") from e
