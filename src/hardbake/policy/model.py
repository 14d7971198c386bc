"""The normalised container model every policy source produces and every rule reads.

Four very different inputs (a Kubernetes workload, a Compose service, the final stage of a
Dockerfile, a `docker run` line) become the same `Container`: effective values already
resolved the way the runtime resolves them (a container's securityContext overrides the
pod's; Docker's defaults fill what a Compose file or a command line leaves out), plus a map
from each field to where it was written, so a finding can point at a line.

`None` always means "not said": the rules decide whether silence is a violation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from hardbake.errors import InputError
from hardbake.oci.reference import RegistryRef


class Severity(IntEnum):
    """Ordered severities; `--fail-on` compares with these."""

    info = 0
    low = 1
    medium = 2
    high = 3
    critical = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().lower()]
        except KeyError:
            raise InputError(
                f"unknown severity {text!r}", hint=f"use one of: {', '.join(s.name for s in cls)}"
            ) from None

    def __str__(self) -> str:
        return self.name


class SourceKind(StrEnum):
    kubernetes = "kubernetes"
    compose = "compose"
    dockerfile = "dockerfile"
    docker_run = "docker-run"


class Role(StrEnum):
    """Where a container sits in its workload (Kubernetes init/ephemeral containers differ)."""

    main = "main"
    init = "init"
    ephemeral = "ephemeral"


@dataclass(frozen=True)
class Location:
    """Where something is (or should be) written: file, 1-based line, JSON path in the document."""

    file: str
    line: int
    path: str = ""

    def __str__(self) -> str:
        s = f"{self.file}:{self.line}"
        return f"{s} ({self.path})" if self.path else s


@dataclass(frozen=True)
class Tmpfs:
    """A tmpfs mount with its effective options (runtime defaults applied)."""

    target: str
    options: frozenset[str]
    size: str | None


@dataclass(frozen=True)
class Mount:
    """A mount of something from the host (bind / hostPath) into the container."""

    source: str
    target: str
    read_only: bool = False
    kind: str = "bind"  # bind | hostPath


@dataclass(frozen=True)
class Resources:
    """Effective requests and limits; strings as written (quantities stay the user's units)."""

    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None
    ephemeral_request: str | None = None
    ephemeral_limit: str | None = None
    pids_limit: str | None = None
    memory_swap: str | None = None


@dataclass(frozen=True)
class Container:
    """One container's effective configuration, whichever source it came from."""

    source: SourceKind
    file: str
    workload: str  # "Deployment/web", "service web", "Dockerfile", "docker run (line 3)"
    name: str
    where: Location  # the container itself: findings about missing fields point here
    role: Role = Role.main
    kind: str = ""  # Kubernetes kind, "" elsewhere
    namespace: str | None = None
    image: str | None = None
    image_built: bool = False  # Compose `build:`: the image is made here, its base is checked elsewhere
    user: str | None = None  # as written: "0", "root", "1000:1000", "app"
    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    allow_privilege_escalation: bool | None = None
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    host_network: bool = False
    host_pid: bool = False
    host_ipc: bool = False
    seccomp: str | None = None  # RuntimeDefault | Localhost | Unconfined | None (not set)
    seccomp_annotation: str | None = None
    read_only_root: bool | None = None
    tmpfs: tuple[Tmpfs, ...] = ()
    mounts: tuple[Mount, ...] = ()
    memory_volumes: tuple[tuple[str, bool], ...] = ()  # Kubernetes emptyDir: (name, has sizeLimit)
    resources: Resources = field(default_factory=Resources)
    healthcheck: bool | None = None
    readiness: bool | None = None
    restart: str | None = None
    log_driver: str | None = None
    log_rotation: bool | None = None
    base_is_stage: bool = False
    locations: dict[str, Location] = field(default_factory=dict, compare=False, hash=False)
    raw: Any = field(default=None, compare=False, hash=False, repr=False)
    notes: tuple[str, ...] = ()  # parse problems worth reporting (unknown flags, ...)

    def at(self, key: str) -> Location:
        """Where `key` was written, else where the container is."""
        return self.locations.get(key, self.where)

    @property
    def image_ref(self) -> RegistryRef | None:
        """The image normalised like the Docker CLI does it, or None when absent/unparseable."""
        if not self.image or "$" in self.image:
            return None
        try:
            return RegistryRef.parse(self.image)
        except InputError:
            return None


@dataclass(frozen=True)
class Workload:
    """A unit one source produced: the object as written plus its containers.

    `document` is the original object (a Kubernetes manifest, a Compose service mapping, a
    parsed Dockerfile summary, a parsed command line), which custom Rego policies see as
    `input`; `where` is where it starts.
    """

    source: SourceKind
    file: str
    name: str
    document: Any
    containers: tuple[Container, ...]
    where: Location
    namespace: str | None = None
