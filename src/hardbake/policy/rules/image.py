"""Image rules: hardened registry/prefix, digest pinning, no `latest`, optional signature check.

References are normalised first (`hardbake.oci.reference.RegistryRef`), so `nginx`,
`docker.io/nginx` and `index.docker.io/library/nginx:latest` are the same image. A digest
wins over a tag: `nginx:latest@sha256:...` runs the digest, so it is not "latest".
Compose services with `build:` make their image (its base is checked in its Dockerfile).
"""

from __future__ import annotations

from collections.abc import Iterator

from hardbake.policy.model import Container, Severity, SourceKind
from hardbake.policy.rules.interface import ALL_SOURCES, Refs, Rule, RuleContext, Violation

S = Severity


def _subject(c: Container) -> str:
    return "base image" if c.source is SourceKind.dockerfile else "image"


def _applies(c: Container) -> bool:
    return c.image is not None and not c.image_built


def hardened(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    if not _applies(c) or c.image is None:
        return
    ref = c.image_ref
    if ref is None:
        if "$" in c.image:
            yield Violation(
                f"{_subject(c)} {c.image!r} is not resolved (a variable): cannot tell where it comes from",
                c.at("image"),
                S.info,
            )
        else:
            yield Violation(f"{_subject(c)} {c.image!r} is not a valid image reference", c.at("image"))
        return
    if not ctx.is_hardened(ref):
        allowed = ", ".join(p.rstrip("/") + "/..." for p in ctx.allowed_prefixes)
        yield Violation(
            f"{_subject(c)} {ref.familiar} is not from an allowed hardened registry ({allowed})",
            c.at("image"),
        )


def digest(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    ref = c.image_ref if _applies(c) else None
    if ref is not None and ref.digest is None:
        yield Violation(f"{_subject(c)} {ref.familiar} is not pinned by digest", c.at("image"))


def latest(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    ref = c.image_ref if _applies(c) else None
    if ref is None or ref.digest is not None:
        return
    assert c.image is not None
    written = c.image.rsplit("/", 1)[-1]
    how = "has no tag (means :latest)" if ":" not in written else "uses the :latest tag"
    if ref.tag == "latest":
        yield Violation(f"{_subject(c)} {c.image} {how}", c.at("image"))


def signed(c: Container, ctx: RuleContext) -> Iterator[Violation]:
    ref = c.image_ref if _applies(c) else None
    if ref is None:
        return
    if ctx.verifier is None:
        yield Violation("no signature verifier is configured: cannot check signatures", c.at("image"), S.info)
        return
    result = ctx.verifier(ref)
    if not result.verified:
        detail = f": {result.detail}" if result.detail else ""
        yield Violation(f"{_subject(c)} {ref.familiar} has no valid signature{detail}", c.at("image"))


RULES = (
    Rule(
        "HB-IMG-001",
        "image-not-hardened",
        "image",
        "Image is not from an allowed hardened registry",
        "use a hardened image from an allowed prefix (default hardbake/...; `hardbake migrate` finds the "
        "equivalent), or add your registry to allowed_registries in the policy config",
        hardened,
        S.high,
        S.medium,
        S.info,
        Refs(hadolint=("DL3026",)),
        ALL_SOURCES,
    ),
    Rule(
        "HB-IMG-002",
        "image-not-pinned",
        "image",
        "Image is not pinned by digest",
        "pin the image: name:tag@sha256:<digest> (`docker buildx imagetools inspect` prints it)",
        digest,
        S.medium,
        S.low,
        None,
        Refs(checkov=("CKV_K8S_43",)),
        ALL_SOURCES,
    ),
    Rule(
        "HB-IMG-003",
        "image-latest",
        "image",
        "Image uses the latest tag or no tag",
        "name an explicit version tag (and a digest)",
        latest,
        S.medium,
        S.medium,
        S.low,
        Refs(checkov=("CKV_K8S_14", "CKV_DOCKER_7"), hadolint=("DL3006", "DL3007")),
        ALL_SOURCES,
    ),
    Rule(
        "HB-IMG-004",
        "image-not-signed",
        "image",
        "Image signature does not verify",
        "sign the image (hardbake sign / cosign sign) or use a signed hardened image",
        signed,
        S.high,
        S.high,
        S.low,
        Refs(),
        ALL_SOURCES,
        enabled_by_default=False,
    ),
)
