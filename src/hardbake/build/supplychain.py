"""`hardbake build --sign`: sign the image just written and attach what is known about it.

Into the OCI layout the build wrote: a cosign-compatible signature over the index and every
platform manifest, and in-toto attestations (DSSE) of the SLSA provenance (spec and lock
digests, every .deb with its URL and sha256, real start and finish times), the hardening
report of each platform, its SBOMs, and - when a vulnerability database is present - the scan
report and OpenVEX. What could not be produced is said, never faked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hardbake.attest import predicates, signing, slsa
from hardbake.attest.hardening import HardeningReport
from hardbake.attest.keys import SigningKey
from hardbake.attest.storage.layout import LayoutStore
from hardbake.build.pipeline import BuildResult
from hardbake.debian.lock import LockedPackage


@dataclass
class SignReport:
    attached: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"attached": self.attached, "skipped": self.skipped}


def _hex(digest: str) -> str:
    return digest.split(":", 1)[-1]


def provenance(
    result: BuildResult, started: datetime, finished: datetime, url_of: Callable[[LockedPackage], str]
) -> dict[str, Any]:
    lock_text = result.lock.dumps().encode()
    deps = []
    seen: set[str] = set()
    locks = [result.lock, *([result.lock.parent] if result.lock.parent else [])]
    for lk in locks:
        for arch_lock in lk.arches.values():
            for p in arch_lock.packages:
                if p.sha256 in seen:
                    continue
                seen.add(p.sha256)
                deps.append(
                    slsa.deb_dependency(
                        p.name, p.version, p.arch, url_of(p), p.sha256, suite=p.suite, repository=p.repo
                    )
                )
    prov = slsa.provenance(
        spec=slsa.ResourceDescriptor.model_validate(
            {"name": Path(result.spec).name, "digest": {"sha256": _hex(result.spec_digest)}}
        ),
        lock=slsa.ResourceDescriptor.model_validate(
            {"name": f"{result.name}.lock.json", "digest": {"sha256": hashlib.sha256(lock_text).hexdigest()}}
        ),
        dependencies=deps,
        started=started,
        finished=finished,
        external={"image": f"{result.name}:{result.tag}", "sourceDateEpoch": result.source_date_epoch},
    )
    return prov.to_predicate()


def sign_build(
    result: BuildResult,
    layout: Path,
    tag: str,
    key: SigningKey,
    *,
    identity: str,
    started: datetime,
    finished: datetime,
    url_of: Callable[[LockedPackage], str],
    extra: Sequence[signing.Attestation] = (),
    skipped: Sequence[str] = (),
) -> SignReport:
    report = SignReport(skipped=list(skipped))
    attestations = [
        signing.Attestation(predicates.SLSA_PROVENANCE_V1, provenance(result, started, finished, url_of))
    ]
    report.attached.append("provenance")
    fields = set(HardeningReport.model_fields) | {
        f.alias for f in HardeningReport.model_fields.values() if f.alias
    }
    for arch in result.arches:
        # the predicate is the report's schema; the build's extra lists stay in the build output
        body = {k: v for k, v in arch.hardening.items() if k in fields}
        attestations.append(signing.Attestation(predicates.HARDENING, body, subject=arch.digest))
    report.attached.append("hardening")
    attestations.extend(extra)
    store = LayoutStore(layout, identity=identity)
    signing.sign_and_attest(store, tag, key, attestations)
    report.attached.insert(0, "signature")
    return report
