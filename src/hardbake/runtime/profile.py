"""Resource-limit profiles: the typed model and the four built-in profiles from the DHI article.

A profile says how a container may use the host: memory (swap always equal to it, the
article's "disable swap entirely" recommendation, so it is not even a field), CPUs, pids,
read-only root with sized `noexec,nosuid,nodev` tmpfs mounts, storage, block-I/O rates for the
devices a user names, privileges, restart policy, log rotation and an optional healthcheck.
Every generator (`docker run` flags, Compose, Kubernetes) and `hardbake run` read this one
model, so they cannot disagree.

Built-in values (article sections "Resource Limit Best Practices", "Security-Focused Resource
Configuration", "Docker Compose Resource Configuration", "Kubernetes Resource Management"):

- dev: 1 GiB, 2 CPUs (article), plus the free hardening every hardbake image supports.
- staging: 512 MiB, 1 CPU (article: "production-like"), so also read-only with a tmpfs and
  production's storage: a read-only failure should show up in staging, not in production.
- production: 512 MiB, 0.5 CPU, restart unless-stopped, logs 10m x 3 (article's docker run);
  requests 256 MiB / 0.25 CPU, pids 100, tmpfs /tmp 100m, ephemeral storage 1-2 GiB (article's
  Compose and Kubernetes examples).
- max-security: 256 MiB, 0.25 CPU, pids 50, read-only, tmpfs /tmp 50m noexec,nosuid,nodev,
  storage 1G, no-new-privileges, cap-drop ALL, numeric user, no network (article), with
  production's restart and log rotation.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from hardbake.errors import InputError
from hardbake.runtime.units import MiB, docker_size, parse_cpus, parse_size


def _as_size(v: Any) -> Any:
    if not isinstance(v, str | int | float) or isinstance(v, bool):
        return v
    try:
        return parse_size(v)
    except InputError as e:  # pydantic turns only ValueError into a field error
        raise ValueError(e.message) from e


def _as_cpus(v: Any) -> Any:
    if not isinstance(v, str | int | float) or isinstance(v, bool):
        return v
    try:
        return parse_cpus(v)
    except InputError as e:
        raise ValueError(e.message) from e


Size = Annotated[int, BeforeValidator(_as_size)]
Cpus = Annotated[float, BeforeValidator(_as_cpus)]

_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_USER_RE = re.compile(r"^(\d+)(?::(\d+))?$")
_RESTART_RE = re.compile(r"^(no|always|unless-stopped|on-failure(?::\d+)?)$")
_NETWORK_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_DEVICE_RE = re.compile(r"^/dev/[A-Za-z0-9_./-]+$")

#: Where hardbake's images run by default: the distroless `nonroot` account.
DEFAULT_USER = "65532:65532"
#: The smallest memory limit the Docker engine accepts.
MIN_MEMORY = 6 * MiB


def _seconds(v: Any) -> Any:
    if isinstance(v, str):
        m = _DURATION_RE.match(v.strip())
        if not m or not any(m.groups()):
            raise ValueError(f"{v!r} is not a duration such as 30s, 1m or 1m30s")
        h, mi, s = (int(g or 0) for g in m.groups())
        return h * 3600 + mi * 60 + s
    return v


Seconds = Annotated[int, BeforeValidator(_seconds), Field(ge=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TmpfsMount(_Model):
    """A tmpfs mount; `noexec,nosuid,nodev` by default and always sized."""

    path: str
    size: Size
    noexec: bool = True
    nosuid: bool = True
    nodev: bool = True

    @model_validator(mode="before")
    @classmethod
    def _from_docker_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            return parse_tmpfs(data)
        return data

    @field_validator("path")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if not v.startswith("/") or ":" in v or "," in v:
            raise ValueError(f"{v!r} must be an absolute path without ':' or ','")
        return v

    @field_validator("size")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v <= 0:
            raise ValueError("a tmpfs needs a size above 0, or it may fill the host's memory")
        return v

    @property
    def flags(self) -> list[str]:
        return [f for f in ("noexec", "nosuid", "nodev") if getattr(self, f)]

    def docker_options(self) -> str:
        """`size=50m,noexec,nosuid,nodev`. Docker adds noexec unless told `exec`, so say it."""
        opts = [f"size={docker_size(self.size)}", *self.flags]
        if not self.noexec:
            opts.append("exec")
        if not self.nosuid:
            opts.append("suid")
        if not self.nodev:
            opts.append("dev")
        return ",".join(opts)


def parse_tmpfs(text: str) -> dict[str, Any]:
    """`/tmp:size=50m,noexec,nosuid,nodev` (docker's --tmpfs syntax) -> TmpfsMount fields.

    As in Docker, a tmpfs is `noexec,nosuid,nodev` unless `exec`, `suid` or `dev` says otherwise.
    """
    path, _, opts = text.partition(":")
    fields: dict[str, Any] = {"path": path}
    for opt in filter(None, (o.strip() for o in opts.split(","))):
        key, _, value = opt.partition("=")
        if key == "size":
            fields["size"] = value
        elif key in ("noexec", "nosuid", "nodev"):
            fields[key] = True
        elif key in ("exec", "suid", "dev"):
            fields[f"no{key}"] = False
        elif key != "rw":
            raise ValueError(f"tmpfs option {key!r} is not one hardbake writes (size, noexec, nosuid, nodev)")
    if "size" not in fields:
        raise ValueError(f"tmpfs {text!r} has no size=...: an unsized tmpfs can fill the host's memory")
    return fields


class BlkioRates(_Model):
    """Block-I/O throttling, applied to each device the user names (`--device-*-bps/iops`)."""

    read_bps: Size | None = None
    write_bps: Size | None = None
    read_iops: int | None = Field(default=None, ge=1)
    write_iops: int | None = Field(default=None, ge=1)


class LogRotation(_Model):
    """json-file/local log rotation: `--log-opt max-size=10m --log-opt max-file=3`."""

    max_size: Size = 10 * MiB
    max_file: int = Field(default=3, ge=1)


class Healthcheck(_Model):
    """An exec-form healthcheck: the image has no shell, so the test is a program and its arguments."""

    test: tuple[str, ...]
    interval: Seconds = 30
    timeout: Seconds = 5
    retries: int = Field(default=3, ge=1)
    start_period: Seconds = 10

    @field_validator("test", mode="before")
    @classmethod
    def _exec_form(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.split()
        if isinstance(v, list | tuple) and v and v[0] in ("CMD", "CMD-SHELL"):
            if v[0] == "CMD-SHELL":
                raise ValueError("CMD-SHELL needs a shell, which hardened images do not have; use exec form")
            v = v[1:]
        if not v:
            raise ValueError("a healthcheck needs a command")
        return tuple(v)


Restart = Annotated[str, Field(pattern=_RESTART_RE.pattern)]


class Profile(_Model):
    """How a container may use the host. Swap always equals memory (no swap)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    memory: Size
    memory_request: Size | None = None
    cpus: Cpus
    cpu_request: Cpus | None = None
    pids: int | None = Field(default=None, ge=1)
    read_only: bool = False
    tmpfs: tuple[TmpfsMount, ...] = ()
    storage: Size | None = None
    storage_request: Size | None = None
    blkio: BlkioRates | None = None
    devices: tuple[str, ...] = ()
    no_new_privileges: bool = True
    cap_drop: tuple[str, ...] = ("ALL",)
    cap_add: tuple[str, ...] = ()
    user: str | None = None
    network: str | None = None
    restart: Restart = "no"
    log: LogRotation | None = None
    healthcheck: Healthcheck | None = None
    tune: bool = True

    @model_validator(mode="before")
    @classmethod
    def _no_swap_field(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("swap", "memory_swap", "memory-swap", "memswap_limit"):
                if key in data:
                    raise ValueError(
                        f"{key!r} cannot be set: hardbake always sets swap equal to memory "
                        "(no swap), the article's recommendation; raise 'memory' instead"
                    )
        return data

    @field_validator("memory")
    @classmethod
    def _min_memory(cls, v: int) -> int:
        if v < MIN_MEMORY:
            raise ValueError(f"{v} bytes is below the engine's minimum of 6m")
        return v

    @field_validator("user")
    @classmethod
    def _numeric_user(cls, v: str | None) -> str | None:
        if v is None:
            return v
        m = _USER_RE.match(v)
        if not m:
            raise ValueError(
                f"{v!r} must be numeric UID[:GID] (the kubelet refuses runAsNonRoot with a name)"
            )
        if m.group(1) == "0":
            raise ValueError("UID 0 is root; hardened containers run as a non-root user such as 65532")
        return v

    @field_validator("network")
    @classmethod
    def _network(cls, v: str | None) -> str | None:
        if v is not None and not _NETWORK_RE.match(v):
            raise ValueError(f"{v!r} is not a network name (none, host, or a network's name)")
        return v

    @field_validator("devices")
    @classmethod
    def _devices(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for d in v:
            if not _DEVICE_RE.match(d):
                raise ValueError(f"{d!r} is not a block device path such as /dev/sda")
        return v

    @field_validator("cap_drop", "cap_add")
    @classmethod
    def _caps(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(c.upper().removeprefix("CAP_") for c in v)

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Profile:
        if self.memory_request is not None and self.memory_request > self.memory:
            raise ValueError("memory_request is above memory (the limit)")
        if self.cpu_request is not None and self.cpu_request > self.cpus:
            raise ValueError("cpu_request is above cpus (the limit)")
        if self.storage_request is not None and (self.storage is None or self.storage_request > self.storage):
            raise ValueError("storage_request needs a storage limit at least as large")
        seen = [t.path for t in self.tmpfs]
        if len(seen) != len(set(seen)):
            raise ValueError("two tmpfs mounts share one path")
        return self

    @property
    def memory_swap(self) -> int:
        """Memory plus swap as Docker counts it: equal to memory, i.e. no swap at all."""
        return self.memory


#: The container's /tmp (a mount point inside the container, not a temporary file on the host).
_TMP = "/tmp"  # noqa: S108
_ARTICLE_IO = {"read_iops": 1000, "write_iops": 500, "read_bps": "10m", "write_bps": "5m"}
_ROTATION = {"max_size": "10m", "max_file": 3}

BUILTIN: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile.model_validate(d)
        for d in (
            {
                "name": "dev",
                "description": "lenient limits for a developer's machine (article: -m 1g --cpus 2.0)",
                "memory": "1g",
                "cpus": 2.0,
                "pids": 1024,
            },
            {
                "name": "staging",
                "description": "production-like (article: -m 512m --cpus 1.0), read-only as in production",
                "memory": "512m",
                "cpus": 1.0,
                "pids": 200,
                "read_only": True,
                "tmpfs": [f"{_TMP}:size=100m,noexec,nosuid,nodev"],
                "storage": "2g",
                "storage_request": "1g",
                "restart": "unless-stopped",
                "log": _ROTATION,
                "blkio": _ARTICLE_IO,
            },
            {
                "name": "production",
                "description": "strict limits (article: -m 512m --cpus 0.5, restart, logs 10m x 3)",
                "memory": "512m",
                "memory_request": "256m",
                "cpus": 0.5,
                "cpu_request": 0.25,
                "pids": 100,
                "read_only": True,
                "tmpfs": [f"{_TMP}:size=100m,noexec,nosuid,nodev"],
                "storage": "2g",
                "storage_request": "1g",
                "restart": "unless-stopped",
                "log": _ROTATION,
                "blkio": _ARTICLE_IO,
            },
            {
                "name": "max-security",
                "description": "the article's maximum-security limits: 256m, 0.25 CPU, pids 50, no network",
                "memory": "256m",
                "cpus": 0.25,
                "pids": 50,
                "read_only": True,
                "tmpfs": [f"{_TMP}:size=50m,noexec,nosuid,nodev"],
                "storage": "1g",
                "network": "none",
                "restart": "unless-stopped",
                "log": _ROTATION,
                "blkio": _ARTICLE_IO,
            },
        )
    )
}

ProfileName = Literal["dev", "staging", "production", "max-security"]
