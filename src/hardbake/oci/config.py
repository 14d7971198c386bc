"""The image configuration (OCI image-spec config.md): platform, run settings, rootfs, history.

Known fields are typed; anything else found in a config read from elsewhere (Docker's
`container_config`, `Healthcheck`, `Shell`, ...) is kept in `extra` and written back, so
changing one field of another tool's image loses nothing.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hardbake.errors import InputError
from hardbake.oci import canonical
from hardbake.oci.descriptor import string_map
from hardbake.oci.digest import Digest
from hardbake.oci.errors import ImageError
from hardbake.oci.platform import Platform


def rfc3339(epoch: int) -> str:
    """`created` for a SOURCE_DATE_EPOCH: `2024-05-01T12:00:00Z` (UTC, whole seconds)."""
    return _dt.datetime.fromtimestamp(epoch, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ImageError(f"{what}: expected a list of strings")
    return tuple(value)


def _set(value: Any, what: str) -> tuple[str, ...]:
    """An OCI "set" (`{"8080/tcp": {}}`), kept sorted."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ImageError(f"{what}: expected an object whose keys are the members")
    return tuple(sorted(value))


def _opt_str(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ImageError(f"{what}: expected a string")
    return value


_CC_KEYS = (
    "User",
    "Env",
    "Entrypoint",
    "Cmd",
    "WorkingDir",
    "ExposedPorts",
    "Labels",
    "Volumes",
    "StopSignal",
)


@dataclass(frozen=True)
class ContainerConfig:
    """The `config` object: how a container of this image runs by default."""

    user: str | None = None
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    working_dir: str | None = None
    exposed_ports: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    volumes: tuple[str, ...] = ()
    stop_signal: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # lenient on purpose: configs of images from elsewhere are read, not judged
        object.__setattr__(self, "exposed_ports", tuple(sorted(set(self.exposed_ports))))
        object.__setattr__(self, "volumes", tuple(sorted(set(self.volumes))))
        object.__setattr__(self, "labels", dict(self.labels))

    def env_map(self) -> dict[str, str]:
        return {k: v for k, _, v in (e.partition("=") for e in self.env)}

    def with_env(self, **values: str) -> ContainerConfig:
        """A copy with these variables set (replaced in place if present, else appended)."""
        env = list(self.env)
        for name, value in values.items():
            item = f"{name}={value}"
            for i, e in enumerate(env):
                if e.split("=", 1)[0] == name:
                    env[i] = item
                    break
            else:
                env.append(item)
        return replace(self, env=tuple(env))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        if self.user is not None:
            out["User"] = self.user
        if self.env:
            out["Env"] = list(self.env)
        if self.entrypoint is not None:
            out["Entrypoint"] = list(self.entrypoint)
        if self.cmd is not None:
            out["Cmd"] = list(self.cmd)
        if self.working_dir:
            out["WorkingDir"] = self.working_dir
        if self.exposed_ports:
            out["ExposedPorts"] = {p: {} for p in self.exposed_ports}
        if self.labels:
            out["Labels"] = dict(self.labels)
        if self.volumes:
            out["Volumes"] = {v: {} for v in self.volumes}
        if self.stop_signal:
            out["StopSignal"] = self.stop_signal
        return out

    @classmethod
    def from_json(cls, obj: Any, what: str) -> ContainerConfig:
        if obj is None:
            return cls()
        if not isinstance(obj, dict):
            raise ImageError(f"{what}: `config` must be an object")
        ep, cmd = obj.get("Entrypoint"), obj.get("Cmd")
        try:
            return cls(
                user=_opt_str(obj.get("User"), f"{what} User"),
                env=_strings(obj.get("Env"), f"{what} Env"),
                entrypoint=None if ep is None else _strings(ep, f"{what} Entrypoint"),
                cmd=None if cmd is None else _strings(cmd, f"{what} Cmd"),
                working_dir=_opt_str(obj.get("WorkingDir"), f"{what} WorkingDir"),
                exposed_ports=_set(obj.get("ExposedPorts"), f"{what} ExposedPorts"),
                labels=string_map(obj.get("Labels"), f"{what} Labels"),
                volumes=_set(obj.get("Volumes"), f"{what} Volumes"),
                stop_signal=_opt_str(obj.get("StopSignal"), f"{what} StopSignal"),
                extra={k: v for k, v in obj.items() if k not in _CC_KEYS},
            )
        except ImageError:
            raise
        except InputError as e:
            raise ImageError(f"{what}: {e.message}") from e


@dataclass(frozen=True)
class History:
    """One `history` entry; `empty_layer` marks a step that added no layer."""

    created: str | None = None
    created_by: str | None = None
    author: str | None = None
    comment: str | None = None
    empty_layer: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (
            ("created", self.created),
            ("created_by", self.created_by),
            ("author", self.author),
            ("comment", self.comment),
        ):
            if value is not None:
                out[key] = value
        if self.empty_layer:
            out["empty_layer"] = True
        return out

    @classmethod
    def from_json(cls, obj: Any, what: str) -> History:
        if not isinstance(obj, dict):
            raise ImageError(f"{what}: history entries must be objects")
        return cls(
            created=_opt_str(obj.get("created"), what),
            created_by=_opt_str(obj.get("created_by"), what),
            author=_opt_str(obj.get("author"), what),
            comment=_opt_str(obj.get("comment"), what),
            empty_layer=bool(obj.get("empty_layer", False)),
        )


_TOP_KEYS = (
    "architecture",
    "os",
    "variant",
    "os.version",
    "os.features",
    "created",
    "author",
    "config",
    "rootfs",
    "history",
)


@dataclass(frozen=True)
class ImageConfig:
    """An OCI image configuration. `to_bytes()` is its canonical JSON."""

    architecture: str
    os: str = "linux"
    variant: str | None = None
    os_version: str | None = None
    os_features: tuple[str, ...] = ()
    created: str | None = None
    author: str | None = None
    config: ContainerConfig = field(default_factory=ContainerConfig)
    diff_ids: tuple[Digest, ...] = ()
    history: tuple[History, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def for_platform(cls, platform: Platform, *, created: str | None = None, **kw: Any) -> ImageConfig:
        return cls(
            architecture=platform.architecture,
            os=platform.os,
            variant=platform.variant,
            os_version=platform.os_version,
            os_features=platform.os_features,
            created=created,
            **kw,
        )

    @property
    def platform(self) -> Platform:
        return Platform(self.os, self.architecture, self.variant, self.os_version, self.os_features)

    def with_layer(self, diff_id: Digest, history: History | None = None) -> ImageConfig:
        """A copy with one more layer on top (and its history entry, if given)."""
        return replace(
            self,
            diff_ids=(*self.diff_ids, diff_id),
            history=self.history if history is None else (*self.history, history),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out["architecture"] = self.architecture
        out["os"] = self.os
        if self.variant:
            out["variant"] = self.variant
        if self.os_version:
            out["os.version"] = self.os_version
        if self.os_features:
            out["os.features"] = list(self.os_features)
        if self.created is not None:
            out["created"] = self.created
        if self.author is not None:
            out["author"] = self.author
        out["config"] = self.config.to_json()
        out["rootfs"] = {"type": "layers", "diff_ids": [str(d) for d in self.diff_ids]}
        if self.history:
            out["history"] = [h.to_json() for h in self.history]
        return out

    def to_bytes(self) -> bytes:
        return canonical.dumps(self.to_json())

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "image config") -> ImageConfig:
        return cls.from_json(canonical.loads_object(data, what), what)

    @classmethod
    def from_json(cls, obj: dict[str, Any], what: str) -> ImageConfig:
        rootfs = obj.get("rootfs")
        if not isinstance(rootfs, dict) or rootfs.get("type") != "layers":
            raise ImageError(f'{what}: rootfs must be {{"type": "layers", "diff_ids": [...]}}')
        try:
            diff_ids = tuple(Digest.parse(d) for d in _strings(rootfs.get("diff_ids"), f"{what} diff_ids"))
        except ImageError:
            raise
        except InputError as e:
            raise ImageError(f"{what}: rootfs.diff_ids: {e.message}") from e
        history = obj.get("history") or []
        if not isinstance(history, list):
            raise ImageError(f"{what}: history must be a list")
        arch, os_ = obj.get("architecture"), obj.get("os")
        if not isinstance(arch, str) or not arch or not isinstance(os_, str) or not os_:
            raise ImageError(f"{what}: architecture and os are required strings")
        return cls(
            architecture=arch,
            os=os_,
            variant=_opt_str(obj.get("variant"), f"{what} variant"),
            os_version=_opt_str(obj.get("os.version"), f"{what} os.version"),
            os_features=_strings(obj.get("os.features"), f"{what} os.features"),
            created=_opt_str(obj.get("created"), f"{what} created"),
            author=_opt_str(obj.get("author"), f"{what} author"),
            config=ContainerConfig.from_json(obj.get("config"), f"{what} config"),
            diff_ids=diff_ids,
            history=tuple(History.from_json(h, f"{what} history") for h in history),
            extra={k: v for k, v in obj.items() if k not in _TOP_KEYS},
        )


def non_empty_history(history: Sequence[History]) -> int:
    """How many history entries claim a layer (Docker refuses more than there are layers)."""
    return sum(1 for h in history if not h.empty_layer)
