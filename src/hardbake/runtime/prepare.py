"""From command-line choices to a run plan: load the profile, apply overrides, inspect and pin the
image, read what the engine can enforce. Shared by `hardbake limits` and `hardbake run`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hardbake.runtime.engine import engine_facts
from hardbake.runtime.image import DigestSource, inspect_image
from hardbake.runtime.plan import RunPlan, build_plan
from hardbake.runtime.profile_load import apply_overrides, load_profile


def prepare_plan(
    profile_spec: str,
    image: str,
    *,
    client: Any | None,
    overrides: Mapping[str, Any] | None = None,
    raw_overrides: Sequence[str] = (),
    name: str | None = None,
    runtime: str = "auto",
    env: Mapping[str, str] | None = None,
    command: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    registry: DigestSource | None = None,
) -> RunPlan:
    profile = apply_overrides(load_profile(profile_spec), overrides or {}, raw=raw_overrides)
    facts = inspect_image(image, client, registry)
    engine = engine_facts(client) if client is not None else None
    return build_plan(
        profile, facts, name=name, runtime=runtime, env=env, command=command, labels=labels, engine=engine
    )
