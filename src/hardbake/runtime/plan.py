"""The run plan: one profile, one image and the user's choices resolved into exact settings.

Every output format and `hardbake run` render this one object, so the `docker run` flags, the
Compose service, the Kubernetes spec and the container the engine starts cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hardbake.runtime.engine import EngineFacts
from hardbake.runtime.image import ImageFacts
from hardbake.runtime.profile import DEFAULT_USER, Healthcheck, Profile
from hardbake.runtime.tuning import Tuning, tune

_NUMERIC_USER = re.compile(r"^(\d+)(?::(\d+))?$")
_NAME_RE = re.compile(r"[^a-z0-9-]+")

#: Label on every container `hardbake run` starts, naming the profile it runs under.
PROFILE_LABEL = "dev.hardbake.profile"


@dataclass(frozen=True)
class RunPlan:
    profile: Profile
    image: ImageFacts
    name: str
    user: str
    env: Mapping[str, str]
    tuning: Tuning
    healthcheck: Healthcheck | None
    healthcheck_source: str
    command: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    engine: EngineFacts | None = None

    @property
    def uid(self) -> int:
        return int(self.user.split(":", 1)[0])

    @property
    def gid(self) -> int:
        _, _, g = self.user.partition(":")
        return int(g) if g else self.uid


def _resolve_user(profile: Profile, image: ImageFacts) -> tuple[str, str | None]:
    if profile.user:
        return profile.user, None
    image_user = image.user or ""
    m = _NUMERIC_USER.match(image_user)
    if m and m.group(1) != "0":
        return image_user, None
    if not image.inspected:
        return (
            DEFAULT_USER,
            f"image not inspected: running as {DEFAULT_USER}, hardened images' nonroot account",
        )
    if not image_user or (m and m.group(1) == "0") or image_user in ("root", "root:root"):
        return DEFAULT_USER, (
            f"the image runs as root by default; hardbake runs it as {DEFAULT_USER}: check that the "
            "app needs no root-owned writes (--set user=UID:GID to choose another)"
        )
    return DEFAULT_USER, (
        f"the image's user {image_user!r} is a name; Kubernetes refuses runAsNonRoot with a name, so "
        f"hardbake uses {DEFAULT_USER} (--set user=UID:GID if the image's account has another UID)"
    )


def service_name(image: ImageFacts, name: str | None) -> str:
    """A DNS-label-safe name for the Compose service / Kubernetes workload."""
    raw = name or image.family
    cleaned = _NAME_RE.sub("-", raw.lower()).strip("-")[:63]
    return cleaned or "app"


def build_plan(
    profile: Profile,
    image: ImageFacts,
    *,
    name: str | None = None,
    runtime: str = "auto",
    env: Mapping[str, str] | None = None,
    command: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    engine: EngineFacts | None = None,
) -> RunPlan:
    user_env = dict(env or {})
    tuning = tune(profile, image, runtime, user_env)
    notes: list[str] = []
    user, user_note = _resolve_user(profile, image)
    if user_note:
        notes.append(user_note)
    healthcheck, hc_source = profile.healthcheck, "profile"
    if healthcheck is None and image.healthcheck:
        healthcheck, hc_source = Healthcheck(test=image.healthcheck), "image"
    if healthcheck is None:
        hc_source = "none"
        if profile.restart != "no":
            notes.append(
                "no healthcheck: the image declares none and the profile gives none; pass "
                "--healthcheck 'PROGRAM ARGS' (exec form: the image has no shell)"
            )
    if profile.storage is not None and engine is not None and engine.storage_quota is False:
        notes.append(engine.storage_quota_note)
    extra_caps = [c for c in profile.cap_add if c != "NET_BIND_SERVICE"]
    if extra_caps:
        notes.append(
            f"cap_add {', '.join(extra_caps)}: hardened policies allow adding only NET_BIND_SERVICE "
            "(Pod Security Standards restricted)"
        )
    if profile.blkio is not None and not profile.devices:
        notes.append("block-I/O rates apply only to devices you name: --device /dev/sda (repeatable)")
    all_env = {**tuning.env, **user_env}
    all_labels = {PROFILE_LABEL: profile.name, **(labels or {})}
    return RunPlan(
        profile=profile,
        image=image,
        name=service_name(image, name),
        user=user,
        env=all_env,
        tuning=tuning,
        healthcheck=healthcheck,
        healthcheck_source=hc_source,
        command=tuple(command),
        labels=all_labels,
        notes=(*notes, *tuning.notes),
        engine=engine,
    )
