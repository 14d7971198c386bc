"""The image spec, as typed models. The models are the contract: every field says whether it
is required, `hardbake spec schema` prints the JSON Schema generated from them, and unknown
keys are errors (a typo must never be silently ignored in a security tool).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hardbake import distro as distros

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Variant(StrEnum):
    runtime = "runtime"
    dev = "dev"


class Drop(_Strict):
    """Cut every dependency on `package`; the reason is recorded in the lock, SBOM and provenance."""

    package: str = Field(description="Required. The package to drop.")
    reason: str = Field(min_length=3, description="Required. Why the image must not carry it.")


class Repository(_Strict):
    """An extra apt repository."""

    name: str = Field(description="Required. Logical name written into the lock.")
    uri: str = Field(description="Required. Base URL (http, https or file).")
    suite: str = Field(description="Required. Suite (distribution) name.")
    components: list[str] = Field(default_factory=lambda: ["main"], description="Optional. Default [main].")
    keyring: str = Field(
        description="Required. OpenPGP keyring (binary or armored) the repository is signed with."
    )


class User(_Strict):
    name: str = Field(description="Required.")
    uid: int = Field(ge=0, le=2**31 - 1, description="Required.")
    gid: int | None = Field(
        default=None, description="Optional. Default: a group with the user's name and uid."
    )
    home: str | None = Field(default=None, description="Optional. Default /home/<name> (0700).")
    shell: str = Field(default="/sbin/nologin", description="Optional. Default /sbin/nologin.")


class Group(_Strict):
    name: str = Field(description="Required.")
    gid: int = Field(ge=0, le=2**31 - 1, description="Required.")
    members: list[str] = Field(default_factory=list, description="Optional.")


class Accounts(_Strict):
    """Users and groups beyond the defaults (root, nobody/nogroup, nonroot 65532)."""

    users: list[User] = Field(default_factory=list, description="Optional.")
    groups: list[Group] = Field(default_factory=list, description="Optional.")
    run_as: str = Field(
        default="nonroot",
        alias="run-as",
        description="Optional. User the image runs as (name or uid); default nonroot (65532). Dev variants run as root.",
    )


class PathKind(StrEnum):
    directory = "directory"
    file = "file"
    symlink = "symlink"
    delete = "delete"


class PathEntry(_Strict):
    """A path the spec adds, replaces or deletes in the image."""

    path: str = Field(description="Required. Absolute path in the image.")
    type: PathKind = Field(description="Required. directory | file | symlink | delete.")
    uid: int = Field(default=0, ge=0, description="Optional. Default 0.")
    gid: int = Field(default=0, ge=0, description="Optional. Default 0.")
    mode: int | None = Field(
        default=None, description="Optional. Octal like 0o755 or 493; default 0755 dirs, 0644 files."
    )
    content: str | None = Field(default=None, description="Optional (file). Inline content.")
    source: str | None = Field(default=None, description="Optional (file). Local file, relative to the spec.")
    target: str | None = Field(default=None, description="Required (symlink). Link target.")

    @field_validator("path")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if not v.startswith("/") or ".." in v.split("/"):
            raise ValueError("must be an absolute path without '..'")
        return v

    @field_validator("mode", mode="before")
    @classmethod
    def _octal(cls, v: object) -> object:
        if isinstance(v, str):
            return int(v, 8)
        return v

    @model_validator(mode="after")
    def _kind_fields(self) -> PathEntry:
        if self.type == PathKind.symlink and not self.target:
            raise ValueError("a symlink needs `target`")
        if self.type == PathKind.file and self.content is None and self.source is None:
            raise ValueError("a file needs `content` or `source`")
        if self.content is not None and self.source is not None:
            raise ValueError("give `content` or `source`, not both")
        return self


class Include(_Strict):
    """File filters: what to keep of the packages' files (all dropped by default)."""

    docs: bool = Field(
        default=False, description="Optional. /usr/share/doc (copyright files are always kept)."
    )
    man: bool = Field(default=False, description="Optional. /usr/share/man.")
    info: bool = Field(default=False, description="Optional. /usr/share/info.")
    locales: bool = Field(default=False, description="Optional. /usr/share/locale translations.")


class Exemption(_Strict):
    """An explicit, named exception to a runtime hardening rule."""

    rule: Literal["shell", "package-manager", "program", "setuid", "writable", "root-user"] = Field(
        description="Required. The hardening rule being waived."
    )
    reason: str = Field(min_length=3, description="Required. Why.")
    paths: list[str] = Field(default_factory=list, description="Optional. Only these paths (default: all).")


class Hardening(_Strict):
    exemptions: list[Exemption] = Field(default_factory=list, description="Optional.")
    writable: list[str] = Field(
        default_factory=list,
        description="Optional. Directories the runtime user may write (besides /tmp and its home).",
    )


class ByteCompile(_Strict):
    """Byte-compile Python sources at build time, with the image's own interpreter."""

    interpreter: str = Field(description="Required. The image's Python, e.g. /usr/bin/python3.13.")
    paths: list[str] = Field(description="Required. Directories to compile, e.g. /usr/lib/python3.13.")
    exclude: str | None = Field(default=None, description="Optional. Regex of paths to skip (compileall -x).")


class Probe(_Strict):
    """Waits until the server answers: an HTTP status, an open TCP port, or a client command on the
    test machine that exits 0 (retried until the step's timeout)."""

    kind: Literal["http", "tcp", "command"] = Field(description="Required. http | tcp | command.")
    port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Optional. Port to probe on 127.0.0.1; 0 (default): the free port the test picked for {port}.",
    )
    path: str = Field(default="/", description="Optional (http).")
    status: int = Field(default=200, description="Optional (http). Expected status.")
    body: str | None = Field(
        default=None,
        description="Optional (http, command). Regex the response body, or the command's output, must match.",
    )
    args: list[str] = Field(
        default_factory=list,
        description="Required (command). A program on the test machine and its arguments ({port} replaced).",
    )

    @model_validator(mode="after")
    def _command_args(self) -> Probe:
        if (self.kind == "command") != bool(self.args):
            raise ValueError("`args` is required for (and only for) a command probe")
        return self


class HostCommand(_Strict):
    """A client run on the test machine while the step's server runs (e.g. psql, redis-cli)."""

    args: list[str] = Field(min_length=1, description="Required. Program and arguments ({port} replaced).")
    env: dict[str, str] = Field(default_factory=dict, description="Optional. Added to the environment.")
    output: str | None = Field(default=None, description="Optional. Regex the combined output must match.")
    exit_code: int = Field(
        default=0, alias="exit-code", description="Optional. Expected exit code; default 0."
    )
    timeout: float = Field(default=30, gt=0, description="Optional. Seconds; default 30.")


class TestStep(_Strict):
    """One way of running the image and what must come out."""

    name: str = Field(description="Required.")
    args: list[str] = Field(default_factory=list, description="Optional. Arguments (replace CMD).")
    entrypoint: list[str] | None = Field(default=None, description="Optional. Override the ENTRYPOINT.")
    env: dict[str, str] = Field(default_factory=dict, description="Optional.")
    user: str | None = Field(default=None, description="Optional. Default: the image's numeric user.")
    read_only: bool = Field(default=True, alias="read-only", description="Optional. Default true.")
    tmpfs: list[str] = Field(default_factory=list, description="Optional. tmpfs mounts, e.g. /tmp.")
    volumes: list[str] = Field(
        default_factory=list,
        description="Optional. SOURCE:CONTAINER[:ro]. SOURCE is a bare NAME (a Docker volume made for "
        "this test run and shared by all its steps, removed afterwards: how data survives a restart), "
        "an absolute host path, or a path relative to the spec.",
    )
    files: dict[str, str] = Field(
        default_factory=dict,
        description="Optional. name -> content ({port} replaced), mounted read-only: a plain name "
        "under /work, an absolute path at exactly that path (e.g. a config file over the image's).",
    )
    network: Literal["none", "host"] = Field(default="none", description="Optional. Default none.")
    variant: Variant | None = Field(
        default=None,
        description="Optional. Run this step in the runtime or dev variant of the image (default: the "
        "image under test); `hardbake test` builds the other variant when a step asks for it.",
    )
    probe: Probe | list[Probe] | None = Field(
        default=None, description="Optional. One or more probes that must pass while the container runs."
    )
    client: list[HostCommand] = Field(
        default_factory=list,
        description="Optional. Commands run on the test machine, in order, once the probes pass.",
    )
    stop: Literal["kill", "graceful"] = Field(
        default="kill",
        description="Optional (servers). kill (default) or graceful: the image's stop signal, as "
        "`docker stop` sends it, so the server shuts down cleanly (e.g. flushes its data).",
    )
    exit_code: int | None = Field(
        default=0,
        alias="exit-code",
        description="Optional. Expected exit code (null: a server, stopped after the probe).",
    )
    output: str | None = Field(default=None, description="Optional. Regex the combined output must match.")
    timeout: float = Field(default=60, gt=0, description="Optional. Seconds.")

    @property
    def probes(self) -> list[Probe]:
        if self.probe is None:
            return []
        return self.probe if isinstance(self.probe, list) else [self.probe]


class ImageSpec(_Strict):
    """A hardened image: what goes in, how it runs, and how it is proven to work."""

    name: str = Field(description="Required. Image name (the family in the catalog).")
    version: str | None = Field(default=None, description="Optional. Version for tags (3.13, 20).")
    distro: str = Field(description="Required. debian-12 or debian-13.")
    archs: list[str] = Field(
        default_factory=lambda: ["amd64"], description="Optional. Debian architectures; default [amd64]."
    )
    variant: Variant = Field(default=Variant.runtime, description="Optional. runtime (default) or dev.")
    extends: str | None = Field(default=None, description="Optional. Parent spec file or catalog name.")
    packages: list[str] = Field(
        default_factory=list, description="Optional. NAME, NAME=VERSION (pin) or !NAME (exclude)."
    )
    drop: list[Drop] = Field(default_factory=list, description="Optional. Packages cut with a reason.")
    repositories: list[Repository] = Field(
        default_factory=list, description="Optional. Extra apt repositories."
    )
    accounts: Accounts = Field(default_factory=Accounts, description="Optional.")
    entrypoint: list[str] | None = Field(default=None, description="Optional.")
    cmd: list[str] | None = Field(default=None, description="Optional.")
    workdir: str | None = Field(default=None, description="Optional. Default: the run-as user's home.")
    environment: dict[str, str] = Field(default_factory=dict, description="Optional.")
    ports: list[str] = Field(default_factory=list, description="Optional. 8080 or 8080/tcp.")
    labels: dict[str, str] = Field(default_factory=dict, description="Optional.")
    annotations: dict[str, str] = Field(
        default_factory=dict, description="Optional. OCI manifest annotations."
    )
    stop_signal: str | None = Field(default=None, alias="stop-signal", description="Optional.")
    volumes: list[str] = Field(default_factory=list, description="Optional.")
    paths: list[PathEntry] = Field(default_factory=list, description="Optional.")
    os_release: dict[str, str] = Field(
        default_factory=dict, alias="os-release", description="Optional. Extra os-release fields."
    )
    include: Include = Field(default_factory=Include, description="Optional. File filters.")
    exclude_paths: list[str] = Field(
        default_factory=list, alias="exclude-paths", description="Optional. Globs of paths to leave out."
    )
    allowed_programs: list[str] | None = Field(
        default=None,
        alias="allowed-programs",
        description="Optional. Programs allowed on PATH (runtime); the build fails on any other.",
    )
    hardening: Hardening = Field(default_factory=Hardening, description="Optional.")
    certificates: list[str] = Field(
        default_factory=list, description="Optional. Extra CA certificates (PEM files) added to the bundle."
    )
    byte_compile: ByteCompile | None = Field(
        default=None,
        alias="byte-compile",
        description="Optional. Deterministic .pyc (unchecked-hash) at build time.",
    )
    tests: list[TestStep] = Field(
        default_factory=list, description="Optional. How `hardbake test` proves the image works."
    )
    tmpfs: list[str] = Field(
        default_factory=list,
        description="Optional. Mounts needed with --read-only (documented, used by tests).",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.match(v):
            raise ValueError("lowercase letters, digits, '.', '_' and '-' only")
        return v

    @field_validator("distro")
    @classmethod
    def _distro(cls, v: str) -> str:
        known = {d.name for d in distros.DISTROS}
        if v not in known:
            raise ValueError(f"must be one of {', '.join(sorted(known))}")
        return v

    @field_validator("archs")
    @classmethod
    def _archs(cls, v: list[str]) -> list[str]:
        ok = {"amd64", "arm64", "armhf", "armel", "i386", "ppc64el", "s390x", "riscv64"}
        bad = [a for a in v if a not in ok]
        if bad or not v:
            raise ValueError(f"unknown architecture(s) {bad}; use Debian names: {', '.join(sorted(ok))}")
        return list(dict.fromkeys(v))
