"""What the generators need to know about an image, and how it gets pinned.

A digest pin names the *registry manifest* digest (`repo@sha256:...`): the one thing every
engine and kubelet can pull and verify. Where the local engine knows the image, its
`RepoDigests` give that digest without any network traffic. An image that was never pushed or
pulled has no manifest digest at all: the only content address it has is its image ID (the
sha256 of its config), which the local engine resolves (`docker run sha256:<id>`) but no
registry can serve. hardbake pins such an image by image ID for `docker` and `compose` output
(true on this engine only) and says so; for Kubernetes, where the kubelet pulls from a
registry, it keeps the tag and warns: push the image, then generate again for a portable pin.

A registry lookup (for an image the engine has never seen) plugs in through `DigestSource`;
the registry client lives in hardbake.oci and is not wired here yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from hardbake.errors import EnvError, InputError
from hardbake.oci.reference import RegistryRef

_ID_PREFIX = "sha256:"


class Pin(StrEnum):
    digest = "digest"  # registry manifest digest: portable
    image_id = "image-id"  # local engine's image ID: this engine only
    none = "none"  # not pinned


class DigestSource(Protocol):
    """Something that can tell an image's manifest digest without the local engine (a registry)."""

    def manifest_digest(self, ref: RegistryRef) -> str | None: ...


@dataclass(frozen=True)
class ImageFacts:
    """An image as the runtime tools see it: its reference, pin, and the config fields they read."""

    reference: str
    pin: Pin
    pinned: str  # reference to write in docker/compose output
    portable: str  # reference to write where a registry must serve it (Kubernetes)
    pin_note: str
    inspected: bool = False
    image_id: str | None = None
    user: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    healthcheck: tuple[str, ...] | None = None
    exposed_ports: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        """The repository's last path component (`node` for docker.io/library/node:20)."""
        if self.reference.startswith(_ID_PREFIX):
            return "app"
        try:
            return RegistryRef.parse(self.reference).family
        except InputError:
            return "app"


def _parse(reference: str) -> RegistryRef | None:
    if reference.startswith(_ID_PREFIX):
        return None
    return RegistryRef.parse(reference)


def _familiar_name(ref: RegistryRef) -> str:
    """`node` for docker.io/library/node:20, `127.0.0.1:5000/x` for 127.0.0.1:5000/x:1."""
    return RegistryRef(ref.registry, ref.repository).familiar


def _from_config(config: Mapping[str, Any]) -> dict[str, Any]:
    env: dict[str, str] = {}
    for item in config.get("Env") or []:
        k, _, v = str(item).partition("=")
        env[k] = v
    health = config.get("Healthcheck") or {}
    test = list(health.get("Test") or [])
    hc: tuple[str, ...] | None = None
    if test and test[0] == "CMD":
        hc = tuple(test[1:])
    return {
        "user": config.get("User") or None,
        "env": env,
        "labels": dict(config.get("Labels") or {}),
        "entrypoint": tuple(config.get("Entrypoint") or ()),
        "cmd": tuple(config.get("Cmd") or ()),
        "healthcheck": hc,
        "exposed_ports": tuple(sorted((config.get("ExposedPorts") or {}).keys())),
    }


def inspect_image(reference: str, client: Any | None, registry: DigestSource | None = None) -> ImageFacts:
    """Facts about `reference` from the local engine (if `client`) or `registry`, pinned if possible."""
    ref = _parse(reference)
    if ref is not None and ref.digest:
        note = "already pinned by digest"
        base = ImageFacts(reference, Pin.digest, reference, reference, note)
    else:
        base = ImageFacts(reference, Pin.none, reference, reference, "not pinned: the image is unknown here")
    attrs = _engine_inspect(client, reference) if client is not None else None
    if attrs is None:
        if base.pin is Pin.none and registry is not None and ref is not None:
            digest = registry.manifest_digest(ref)
            if digest:
                pinned = ref.with_digest(digest).familiar
                return ImageFacts(
                    reference, Pin.digest, pinned, pinned, "pinned by the registry's manifest digest"
                )
        if base.pin is Pin.none and client is None:
            return ImageFacts(reference, Pin.none, reference, reference, "not pinned: no engine was asked")
        return base
    facts = _from_config(attrs.get("Config") or {})
    image_id = str(attrs.get("Id", ""))
    if base.pin is Pin.digest:
        return ImageFacts(reference, Pin.digest, reference, reference, base.pin_note, True, image_id, **facts)
    repo_digests = [str(d) for d in attrs.get("RepoDigests") or []]
    if ref is not None and repo_digests:
        wanted = _familiar_name(ref)
        same = [d for d in repo_digests if d.split("@", 1)[0] in (wanted, ref.name)]
        chosen = same[0] if same else repo_digests[0]
        name, _, digest = chosen.partition("@")
        pinned = f"{wanted}:{ref.tag}@{digest}" if same and ref.tag else f"{name}@{digest}"
        note = "pinned by the manifest digest the local engine recorded when the image was pushed or pulled"
        if not same:
            note += f" (through {name}, the repository it came from)"
        return ImageFacts(reference, Pin.digest, pinned, pinned, note, True, image_id, **facts)
    note = (
        "never pushed: no registry digest exists; pinned by image ID, which only this engine "
        "resolves. Push the image and generate again for a portable digest pin"
    )
    return ImageFacts(reference, Pin.image_id, image_id, reference, note, True, image_id, **facts)


def _engine_inspect(client: Any, reference: str) -> dict[str, Any] | None:
    import docker.errors

    try:
        attrs: dict[str, Any] = client.api.inspect_image(reference)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as e:
        if getattr(e, "status_code", None) == 404:
            return None
        raise EnvError(f"the engine failed to inspect image {reference!r}: {e}") from e
    return attrs
