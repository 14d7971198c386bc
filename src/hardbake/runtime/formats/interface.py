"""The output formats of `hardbake limits` and the explanation every one of them carries.

Each format is a module with `render(plan) -> str`; `RENDERERS` is the explicit, exhaustive
dispatch (a new format is a new module and a new line here). Every document starts with
comment lines that explain what was chosen and why, so the file itself carries its reasons.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import Any, assert_never

import yaml

from hardbake.runtime.plan import RunPlan
from hardbake.runtime.units import cpus_text, docker_size


class OutputFormat(StrEnum):
    docker = "docker"
    compose = "compose"
    k8s = "k8s"


def renderer(fmt: OutputFormat, *, k8s_kind: str = "deployment") -> Callable[[RunPlan], str]:
    from hardbake.runtime.formats import compose, docker, kubernetes

    if fmt is OutputFormat.docker:
        return docker.render
    if fmt is OutputFormat.compose:
        return compose.render
    if fmt is OutputFormat.k8s:
        return functools.partial(kubernetes.render, kind=k8s_kind)
    assert_never(fmt)


def render(plan: RunPlan, fmt: OutputFormat, *, k8s_kind: str = "deployment") -> str:
    """The document for `plan` in `fmt`, explanation comments first."""
    return renderer(fmt, k8s_kind=k8s_kind)(plan)


def explanation(plan: RunPlan, extra_notes: tuple[str, ...] = ()) -> list[str]:
    """Plain-text lines (no comment markers) saying what the document sets and why."""
    p = plan.profile
    lines = [f"hardbake limits {p.name}: {p.description}".rstrip(": ")]
    lines.append(f"image: {plan.image.reference} ({plan.image.pin.value}: {plan.image.pin_note})")
    limits = [
        f"memory {docker_size(p.memory)} with swap off (memory+swap = memory)",
        f"cpus {cpus_text(p.cpus)}",
    ]
    if p.pids:
        limits.append(f"pids {p.pids}")
    if p.storage:
        limits.append(f"storage {docker_size(p.storage)}")
    lines.append("limits: " + ", ".join(limits))
    lines.append(f"user {plan.user} (numeric, non-root)")
    t = plan.tuning
    lines.append(f"runtime: {t.runtime.value} ({t.evidence})")
    for s in t.settings:
        lines.append(f"  {s.name}={s.value}: {s.reason}")
    if plan.healthcheck is not None:
        lines.append(f"healthcheck from the {plan.healthcheck_source}: {' '.join(plan.healthcheck.test)}")
    for note in (*plan.notes, *extra_notes):
        lines.append(f"note: {note}")
    return lines


def comment_block(lines: list[str]) -> str:
    return "".join(f"# {line}\n" for line in lines)


class _NoAliasDumper(yaml.SafeDumper):
    """Writes a shared mapping out in full each time: `&id001` anchors confuse human readers."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_NoAliasDumper, sort_keys=False, default_flow_style=False, width=1000)
