"""Everything `build --sign` attaches, gathered in one place: what can be produced is, what
cannot (no vulnerability database yet, say) is reported as skipped with the reason."""

from __future__ import annotations

from datetime import datetime

from hardbake.attest.keys import SigningKey
from hardbake.build.pipeline import BuildResult
from hardbake.build.supplychain import SignReport, sign_build
from hardbake.debian.client import DebianClient
from hardbake.oci.reference import LayoutRef


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
    skipped = [
        "SBOM attestations: the SBOM writer is not available in this build of hardbake",
        "scan report and VEX: no vulnerability database (run `hardbake db update`)",
    ]
    return sign_build(
        result, layout.path, layout.tag or result.tag, key, identity=identity, started=started, finished=finished,
        url_of=client.deb_url, skipped=skipped,
    )  # fmt: skip
