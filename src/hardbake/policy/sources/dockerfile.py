"""Dockerfiles -> the container their final stage makes (base image, USER, HEALTHCHECK).

Parsed with the `dockerfile` package (BuildKit's own parser compiled for Python), so line
continuations, heredocs, JSON forms and parser directives are read exactly as `docker build`
reads them. Stage resolution follows BuildKit: `FROM <earlier stage>` inherits that stage's
USER and HEALTHCHECK, and the base image that matters is the external image at the root of
the chain. `ARG`s declared before the first FROM substitute into FROM lines with their
defaults; ARG/ENV defaults inside the stage substitute into USER.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dockerfile

from hardbake.policy.model import Container, Location, SourceKind, Workload
from hardbake.policy.positions import ParseError
from hardbake.policy.sources import dockeropts as d

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))")
_VAR_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^}]*)\}")


@dataclass
class _Stage:
    base: str
    alias: str | None
    line: int
    user: tuple[str, int] | None = None
    health: tuple[bool, int] | None = None
    vars: dict[str, str] | None = None


def _subst(text: str, env: dict[str, str]) -> str:
    text = _VAR_DEFAULT.sub(lambda m: env.get(m.group(1), m.group(2)), text)
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)


def _kv(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        k, eq, val = v.partition("=")
        if k:
            out[k] = val.strip("\"'") if eq else ""
    return out


def parse_stages(text: str, file: str) -> list[_Stage]:
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as e:
        raise ParseError(
            f"{file}: not a valid Dockerfile: {e}", hint="check it with `docker build --check`"
        ) from e
    global_args: dict[str, str] = {}
    stages: list[_Stage] = []
    for cmd in commands:
        name = cmd.cmd.upper()
        if name == "ARG" and not stages:
            global_args.update(_kv(cmd.value))
        elif name == "FROM":
            values = list(cmd.value)
            if not values:
                continue
            base = _subst(values[0], global_args)
            alias = values[2] if len(values) >= 3 and values[1].upper() == "AS" else None
            stages.append(
                _Stage(base, alias.lower() if alias else None, cmd.start_line, vars=dict(global_args))
            )
        elif not stages:
            continue
        elif name == "ARG" and stages[-1].vars is not None:
            stages[-1].vars.update(_kv(cmd.value))
        elif name == "ENV" and stages[-1].vars is not None:
            # the parser hands ENV over as key, value pairs for both `A=1` and `A 1` forms
            pairs = cmd.value
            stages[-1].vars.update({pairs[i]: pairs[i + 1].strip("\"'") for i in range(0, len(pairs) - 1, 2)})
        elif name == "USER" and cmd.value:
            stages[-1].user = (_subst(cmd.value[0], stages[-1].vars or {}), cmd.start_line)
        elif name == "HEALTHCHECK" and cmd.value:
            stages[-1].health = (cmd.value[0].upper() != "NONE", cmd.start_line)
    return stages


def load(text: str, file: str) -> list[Workload]:
    stages = parse_stages(text, file)
    if not stages:
        raise ParseError(
            f"{file}: a Dockerfile needs at least one FROM instruction", hint="add `FROM <image>`"
        )
    by_alias = {s.alias: i for i, s in enumerate(stages) if s.alias}
    final = stages[-1]
    # walk the stage chain to the external base, inheriting USER and HEALTHCHECK
    chain = [final]
    seen = {len(stages) - 1}
    while (idx := by_alias.get(chain[-1].base.lower())) is not None and idx not in seen and idx < len(stages):
        seen.add(idx)
        chain.append(stages[idx])
    user = next((s.user for s in chain if s.user), None)
    health = next((s.health for s in chain if s.health), None)
    root = chain[-1]
    base = root.base
    locs = {"image": Location(file, final.line), "container": Location(file, final.line)}
    if user:
        locs["user"] = Location(file, user[1])
    if health:
        locs["healthcheck"] = Location(file, health[1])
    u = d.parse_user(user[0]) if user and "$" not in user[0] else None
    c = Container(
        source=SourceKind.dockerfile,
        file=file,
        workload="Dockerfile",
        name=final.alias or f"stage {len(stages) - 1}",
        where=Location(file, final.line),
        image=None if base.lower() == "scratch" else base,
        user=user[0] if user else None,
        run_as_user=u.uid if u else None,
        run_as_group=u.gid if u else None,
        healthcheck=health[0] if health else None,
        base_is_stage=len(chain) > 1,
        locations=locs,
    )
    doc = {
        "stages": [
            {"from": s.base, "as": s.alias, "line": s.line, "user": s.user[0] if s.user else None}
            for s in stages
        ],
        "base": base,
        "user": c.user,
        "healthcheck": c.healthcheck,
    }
    return [Workload(SourceKind.dockerfile, file, "Dockerfile", doc, (c,), c.where)]
