"""Runtime-aware settings derived from the limits, so the program inside agrees with its cgroup.

A container limit alone does not tell a runtime how big it may grow: V8 sizes its heap from
host memory, a JVM takes 25% of the limit by default, Go before 1.25 starts one thread per
host CPU, gunicorn starts as many workers as it is told. Each rule below turns the profile's
memory and CPUs into the environment variable the runtime reads, with the reason shown to the
user. The runtime is detected from the image (labels, environment, entrypoint, name); the
evidence is reported too, and `--runtime` overrides it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from hardbake.runtime.image import ImageFacts
from hardbake.runtime.profile import Profile
from hardbake.runtime.units import GiB, MiB

#: Label a hardbake image may carry to name its runtime outright.
RUNTIME_LABEL = "dev.hardbake.runtime"
#: The OCI annotation hardbake's builder sets to the image family (java, node, python ...).
TITLE_LABEL = "org.opencontainers.image.title"
#: Memory one Python web worker is assumed to need when sizing WEB_CONCURRENCY.
PY_WORKER_MEMORY = 128 * MiB


class Runtime(StrEnum):
    node = "node"
    java = "java"
    go = "go"
    python = "python"
    none = "none"


@dataclass(frozen=True)
class Setting:
    name: str
    value: str
    reason: str


@dataclass(frozen=True)
class Tuning:
    runtime: Runtime
    evidence: str
    settings: tuple[Setting, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def env(self) -> dict[str, str]:
        return {s.name: s.value for s in self.settings}


_ENV_MARKERS: tuple[tuple[str, Runtime], ...] = (
    ("NODE_VERSION", Runtime.node),
    ("JAVA_VERSION", Runtime.java),
    ("JAVA_HOME", Runtime.java),
    ("JDK_VERSION", Runtime.java),
    ("GOLANG_VERSION", Runtime.go),
    ("PYTHON_VERSION", Runtime.python),
)
_PROGRAMS: dict[str, Runtime] = {
    "node": Runtime.node,
    "nodejs": Runtime.node,
    "npm": Runtime.node,
    "java": Runtime.java,
    "gunicorn": Runtime.python,
    "uvicorn": Runtime.python,
    "python": Runtime.python,
    "python3": Runtime.python,
}
_NAMES: dict[str, Runtime] = {
    "node": Runtime.node,
    "nodejs": Runtime.node,
    "openjdk": Runtime.java,
    "java": Runtime.java,
    "jre": Runtime.java,
    "jdk": Runtime.java,
    "eclipse-temurin": Runtime.java,
    "amazoncorretto": Runtime.java,
    "golang": Runtime.go,
    "go": Runtime.go,
    "python": Runtime.python,
}


def detect_runtime(facts: ImageFacts) -> tuple[Runtime, str]:
    """The image's runtime and the evidence for it."""
    label = facts.labels.get(RUNTIME_LABEL, "")
    if label in Runtime.__members__:
        return Runtime(label), f"label {RUNTIME_LABEL}={label}"
    # hardbake's own images (and many others) name their family in the OCI title label.
    title = facts.labels.get(TITLE_LABEL, "").lower()
    if title in _NAMES:
        return _NAMES[title], f"label {TITLE_LABEL}={title}"
    for key, runtime in _ENV_MARKERS:
        if key in facts.env:
            return runtime, f"image environment sets {key}"
    for arg in (*facts.entrypoint, *facts.cmd):
        program = arg.rsplit("/", 1)[-1]
        base = re.sub(r"[\d.]+$", "", program)
        if program in _PROGRAMS or base in _PROGRAMS:
            return _PROGRAMS.get(program, _PROGRAMS.get(base, Runtime.none)), f"image runs {arg!r}"
    family = facts.family
    stem = re.split(r"[-_]", family)[0]
    for candidate in (family, stem):
        if candidate in _NAMES:
            return _NAMES[candidate], f"image name {family!r}"
    return Runtime.none, "no runtime recognised from labels, environment, entrypoint or name"


def _mib(n: float) -> int:
    return int(n // MiB)


def _merge_flags(existing: str, ours: list[str], drop: tuple[str, ...]) -> tuple[str, bool]:
    kept = [f for f in existing.split() if not f.startswith(drop)]
    return " ".join([*kept, *ours]), len(kept) != len(existing.split())


def _node(p: Profile, env: Mapping[str, str]) -> tuple[list[Setting], list[str]]:
    share = 0.5 if p.memory < 2 * GiB else 0.75
    old = max(16, _mib(p.memory * share))
    semi = max(16, min(64, _mib(p.memory) // 16))
    flags = [f"--max-old-space-size={old}", f"--max-semi-space-size={semi}"]
    value, replaced = _merge_flags(
        env.get("NODE_OPTIONS", ""), flags, ("--max-old-space-size", "--max-semi-space-size")
    )
    reason = (
        f"V8 sizes its heap from host memory, not the cgroup: old space {old} MiB = "
        f"{int(share * 100)}% of the {_mib(p.memory)} MiB limit, semi-space {semi} MiB; the rest is left "
        "for buffers, code and native memory (the article's 512 MiB example uses 256 and 32)"
    )
    notes = ["the image's NODE_OPTIONS heap flags were replaced; its other flags kept"] if replaced else []
    return [Setting("NODE_OPTIONS", value, reason)], notes


def _java(p: Profile, env: Mapping[str, str]) -> tuple[list[Setting], list[str]]:
    pct = 75.0 if p.memory >= GiB else 50.0
    flags = [f"-XX:MaxRAMPercentage={pct}", "-XX:+ExitOnOutOfMemoryError"]
    drop = ("-Xmx", "-XX:MaxRAMPercentage", "-XX:MaxRAM=", "-XX:+ExitOnOutOfMemoryError")
    value, replaced = _merge_flags(env.get("JAVA_TOOL_OPTIONS", ""), flags, drop)
    heap = _mib(p.memory * pct / 100)
    reason = (
        f"the JVM defaults to 25% of the limit for its heap; {pct:g}% gives about {heap} MiB of "
        f"{_mib(p.memory)} MiB and leaves the rest for metaspace, threads and code cache; "
        "ExitOnOutOfMemoryError makes a heap exhaustion restart the container instead of limping on"
    )
    notes = (
        ["the image's -Xmx/MaxRAM flags were removed: -Xmx would override MaxRAMPercentage"]
        if replaced
        else []
    )
    return [Setting("JAVA_TOOL_OPTIONS", value, reason)], notes


def _go(p: Profile, env: Mapping[str, str]) -> tuple[list[Setting], list[str]]:
    limit = _mib(p.memory * 0.9)
    procs = max(1, math.floor(p.cpus))
    return [
        Setting(
            "GOMEMLIMIT",
            f"{limit}MiB",
            f"soft limit at 90% of the {_mib(p.memory)} MiB cgroup limit: the Go GC works harder "
            "before the kernel's OOM killer has to act",
        ),
        Setting(
            "GOMAXPROCS",
            str(procs),
            f"Go before 1.25 starts one scheduler thread per host CPU; {p.cpus:g} CPUs of quota "
            f"-> {procs} (rounded down, at least 1, as automaxprocs does) to avoid throttling",
        ),
    ], []


def _python(p: Profile, facts: ImageFacts, env: Mapping[str, str]) -> tuple[list[Setting], list[str]]:
    program = " ".join((*facts.entrypoint, *facts.cmd))
    server = next((s for s in ("gunicorn", "uvicorn") if s in program), None)
    if server is None and "GUNICORN_CMD_ARGS" in env:
        server = "gunicorn"
    if server is None:
        return [], [
            "python: CPython has no heap flag to set; if the app runs under gunicorn or uvicorn, "
            "pass --runtime python-web (or set WEB_CONCURRENCY) to size its workers"
        ]
    by_cpu = math.floor(2 * p.cpus) + 1
    by_mem = max(1, p.memory // PY_WORKER_MEMORY)
    workers = max(1, min(by_cpu, by_mem))
    reason = (
        f"{server} reads WEB_CONCURRENCY as its worker count: min(2 x {p.cpus:g} CPUs + 1 = {by_cpu}, "
        f"{_mib(p.memory)} MiB / {_mib(PY_WORKER_MEMORY)} MiB per worker = {by_mem}) = {workers}"
    )
    return [Setting("WEB_CONCURRENCY", str(workers), reason)], []


def tune(
    profile: Profile, facts: ImageFacts, runtime: str = "auto", user_env: Mapping[str, str] | None = None
) -> Tuning:
    """Settings for the image's runtime under `profile`; variables the user set are left alone."""
    user_env = user_env or {}
    if not profile.tune or runtime == "none":
        return Tuning(Runtime.none, "runtime tuning is off")
    web = runtime == "python-web"
    if runtime == "auto":
        detected, evidence = detect_runtime(facts)
    elif web or runtime in Runtime.__members__:
        detected, evidence = Runtime(runtime.removesuffix("-web")), f"--runtime {runtime}"
    else:
        raise ValueError(f"unknown runtime {runtime!r}")
    env = dict(facts.env)
    settings: list[Setting]
    notes: list[str]
    if detected is Runtime.node:
        settings, notes = _node(profile, env)
    elif detected is Runtime.java:
        settings, notes = _java(profile, env)
    elif detected is Runtime.go:
        settings, notes = _go(profile, env)
    elif detected is Runtime.python:
        facts_web = facts if not web else _with_server(facts)
        settings, notes = _python(profile, facts_web, env)
    else:
        settings, notes = [], []
    kept = [s for s in settings if s.name not in user_env]
    if len(kept) != len(settings):
        # The runtime's own notes explain values that are no longer used.
        notes = [
            f"{s.name} left as you set it (hardbake would have set {s.value!r})"
            for s in settings
            if s not in kept
        ]
    return Tuning(detected, evidence, tuple(kept), tuple(notes))


def _with_server(facts: ImageFacts) -> ImageFacts:
    from dataclasses import replace

    return replace(facts, cmd=(*facts.cmd, "gunicorn"))
