"""Sign, attest, push and verify a rebuilt image — and only then move its tags.

The rebuilt image sits in a staging OCI layout. With a key it is signed there (the index and
every platform manifest) and gets two attestations: SLSA provenance (spec, lock, every .deb)
and the scan report. Then, in this order:

1. the image is copied *by digest* to its destination (`PREFIX/<family>@sha256:...`, or the
   layout `DIR/<family>`), with its signatures and attestations;
2. with a key, the copy is verified there (`hardbake.attest.verify`: content, signatures,
   provenance and scan attestations) — a failure stops here, so the tags still name the
   previous image;
3. every tag of the image is pointed at the new digest.

Without `--registry` the destination is an OCI layout per family under the state directory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hardbake.attest import predicates, signing, slsa
from hardbake.attest.copy import copy_image, store_for
from hardbake.attest.keys import SigningKey
from hardbake.attest.storage.layout import LayoutStore
from hardbake.attest.verify import VerifyPolicy, verify
from hardbake.build.plan import ImageLock
from hardbake.debian.client import DebianClient
from hardbake.errors import VerificationError
from hardbake.oci.reference import ImageRef, LayoutRef, RegistryRef
from hardbake.oci.remote import RegistryAccess
from hardbake.watch.targets import Target

#: what every published image must carry, checked after the push (with a key)
REQUIRED = ("provenance", "scan")


@dataclass(frozen=True)
class Destination:
    """Where images go: a registry prefix (`REGISTRY[/NAMESPACE]`) or a directory of layouts."""

    registry: str | None = None
    layouts: Path | None = None

    def __post_init__(self) -> None:
        if (self.registry is None) == (self.layouts is None):
            raise ValueError("a destination is a registry prefix or a layout directory")

    def repository(self, target: Target) -> str:
        if self.registry is not None:
            return target.repository(self.registry)
        assert self.layouts is not None
        return f"oci:{self.layouts / target.family}"

    def identity(self, target: Target) -> str:
        """The name signatures carry (cosign's docker-reference)."""
        return target.repository(self.registry) if self.registry else f"hardbake/{target.family}"

    def ref(self, target: Target, *, tag: str | None = None, digest: str | None = None) -> ImageRef:
        if self.registry is not None:
            base = RegistryRef.parse(f"{self.repository(target)}:{tag or 'latest'}")
            return RegistryRef(base.registry, base.repository, tag, digest)
        assert self.layouts is not None
        return LayoutRef(self.layouts / target.family, tag)


@dataclass(frozen=True)
class Published:
    repository: str
    digest: str
    tags: tuple[str, ...]
    signed: bool
    verified: bool | None  # None: no key, nothing to verify against
    checks: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__, tags=list(self.tags))


def provenance(
    target: Target,
    spec_digest: str,
    lock: ImageLock,
    client: DebianClient,
    started: datetime,
    finished: datetime,
) -> dict[str, Any]:
    """SLSA provenance v1 of one rebuild: the spec and lock, and every .deb it was built from."""
    lock_bytes = lock.dumps().encode()
    pkgs = {p.sha256: p for al in lock.arches.values() for p in al.packages}
    if lock.parent is not None:
        pkgs.update({p.sha256: p for al in lock.parent.arches.values() for p in al.packages})
    deps = [
        slsa.deb_dependency(
            p.name, p.version, p.arch, client.deb_url(p), p.sha256, suite=p.suite, repository=p.repo
        )
        for p in sorted(pkgs.values(), key=lambda p: (p.name, p.arch, p.version))
    ]
    spec = slsa.ResourceDescriptor.model_validate(
        {"uri": target.spec_path.as_uri(), "digest": {"sha256": spec_digest.removeprefix("sha256:")}}
    )
    lock_desc = slsa.ResourceDescriptor.model_validate(
        {"name": f"{target.name}.lock.json", "digest": {"sha256": hashlib.sha256(lock_bytes).hexdigest()}}
    )
    prov = slsa.provenance(
        spec=spec,
        lock=lock_desc,
        dependencies=deps,
        started=started,
        finished=finished,
        external={"image": target.name, "trigger": "hardbake watch"},
    )
    return prov.to_predicate()


def publish(
    stage: LayoutRef,
    target: Target,
    digest: str,
    destination: Destination,
    access: RegistryAccess,
    *,
    key: SigningKey | None,
    attestations: Sequence[signing.Attestation] = (),
) -> Published:
    """Sign and attest in the staging layout, copy by digest, verify, then move every tag."""
    assert stage.tag is not None
    if key is not None:
        store = LayoutStore(stage.path, identity=destination.identity(target))
        signing.sign_and_attest(store, stage.tag, key, list(attestations))
    by_digest = destination.ref(target, digest=digest)
    copy_image(stage, by_digest, access=access)
    verified: bool | None = None
    checks: list[dict[str, Any]] = []
    if key is not None:
        dst = store_for(by_digest, access)
        assert dst is not None
        result = verify(dst, digest, VerifyPolicy(key.public, require=REQUIRED))
        checks = [c.to_json() for c in result.checks]
        verified = result.ok
        if not result.ok:
            failed = "; ".join(f"{c.name}: {c.detail}" for c in result.failures)
            raise VerificationError(
                f"{destination.repository(target)}@{digest} does not verify after the push: {failed}",
                hint="the tags were not moved; the previous image stays current",
            )
    for tag in target.tags:
        copy_image(stage, destination.ref(target, tag=tag), access=access, referrers=False)
    return Published(destination.repository(target), digest, target.tags, key is not None, verified, checks)


def attestations(
    provenance_predicate: dict[str, Any], scan_report: dict[str, Any]
) -> list[signing.Attestation]:
    return [
        signing.Attestation(predicates.SLSA_PROVENANCE_V1, provenance_predicate),
        signing.Attestation(predicates.SCAN_REPORT, scan_report),
    ]
