"""Everything `build --sign` attaches, gathered in one place: what can be produced is, what
cannot (no vulnerability database yet, say) is reported as skipped with the reason."""

from __future__ import annotations

import json
from datetime import datetime

from hardbake.attest import predicates
from hardbake.attest.keys import SigningKey
from hardbake.attest.signing import Attestation
from hardbake.build.pipeline import BuildResult
from hardbake.build.supplychain import SignReport, sign_build
from hardbake.debian.client import DebianClient
from hardbake.debian.lock import LockedPackage
from hardbake.oci.reference import LayoutRef
from hardbake.vuln.interface import Ecosystem, InstalledPackage, ScanTarget


def attach_evidence(
    result: BuildResult,
    layout: LayoutRef,
    key: SigningKey,
    *,
    client: DebianClient,
    identity: str,
    started: datetime,
    finished: datetime,
) -> SignReport:
    extra: list[Attestation] = []
    for doc in result.sboms:
        extra.append(Attestation(predicates.SPDX, json.loads(doc["spdx"]), subject=doc["digest"]))
        extra.append(Attestation(predicates.CYCLONEDX, json.loads(doc["cyclonedx"]), subject=doc["digest"]))
    skipped: list[str] = []
    scans, why = scan_evidence(result)
    extra += scans
    if why:
        skipped.append(why)
    report = sign_build(
        result, layout.path, layout.tag or result.tag, key, identity=identity, started=started, finished=finished,
        url_of=client.deb_url, extra=extra, skipped=skipped,
    )  # fmt: skip
    if result.sboms:
        report.attached += ["sbom-spdx", "sbom-cyclonedx"]
    if scans:
        report.attached += ["scan-report", "openvex"]
    return report


def lock_target(result: BuildResult, arch: str, digest: str) -> ScanTarget:
    """What the scanner needs, straight from the lock: every locked package the image holds
    (the build knows them exactly; packages whose files were all filtered out are absent)."""
    lock = result.lock.arches[arch]
    present = set(next(a.packages for a in result.arches if a.arch == arch))
    distro = lock_distro(result)
    packages = tuple(_installed(p, distro) for p in lock.packages if p.name in present)
    return ScanTarget(f"{result.name}:{result.tag}", packages, frozenset({Ecosystem.deb}), digest, distro)


def _installed(p: LockedPackage, distro: str) -> InstalledPackage:
    purl = f"pkg:deb/debian/{p.name}@{p.version}?arch={p.arch}&distro={distro}"
    return InstalledPackage(
        Ecosystem.deb, p.name, p.version, p.source, p.source_version, distro, p.arch, purl
    )


def lock_distro(result: BuildResult) -> str:
    return result.lock.distro


def scan_evidence(result: BuildResult) -> tuple[list[Attestation], str | None]:
    """Scan report and OpenVEX per platform, when a vulnerability database exists; else
    nothing, and the reason."""
    from hardbake.vuln import VulnDB, produce_openvex, render, scan
    from hardbake.vuln.db import default_path

    path = default_path()
    if not path.exists():
        return [], "scan report and VEX: no vulnerability database (run `hardbake db update`)"
    out: list[Attestation] = []
    with VulnDB.open(path) as db:
        for arch in result.arches:
            target = lock_target(result, arch.arch, arch.digest)
            report = scan(target, db)
            out.append(
                Attestation(predicates.SCAN_REPORT, json.loads(render(report, "json")), subject=arch.digest)
            )
            out.append(
                Attestation(predicates.OPENVEX, produce_openvex(report, target, db), subject=arch.digest)
            )
    return out, None
