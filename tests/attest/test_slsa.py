"""SLSA provenance v1: shape, dependencies, times, and the honest level."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from hardbake.attest import slsa


def _prov(hosted: bool = False) -> slsa.Provenance:
    start = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    return slsa.provenance(
        spec=slsa.ResourceDescriptor.model_validate(
            {"uri": "file:catalog/python.yaml", "digest": {"sha256": "aa" * 32}}
        ),
        lock=slsa.ResourceDescriptor.model_validate(
            {"uri": "file:python.lock", "digest": {"sha256": "bb" * 32}}
        ),
        dependencies=[
            slsa.deb_dependency(
                "libc6",
                "2.36-9+deb12u9",
                "amd64",
                "http://mirror.test/pool/main/g/glibc/libc6.deb",
                "cc" * 32,
            ),
        ],
        started=start,
        finished=start + timedelta(seconds=42),
        external={"platforms": ["linux/amd64"]},
        internal={"sourceDateEpoch": 1700000000},
        hosted=hosted,
    )


def test_provenance_shape() -> None:
    doc = json.loads(json.dumps(_prov().to_predicate()))
    bd, rd = doc["buildDefinition"], doc["runDetails"]
    assert bd["buildType"] == slsa.BUILD_TYPE
    assert bd["externalParameters"]["spec"]["digest"] == {"sha256": "aa" * 32}
    assert bd["externalParameters"]["lock"]["uri"] == "file:python.lock"
    assert bd["externalParameters"]["platforms"] == ["linux/amd64"]
    dep = bd["resolvedDependencies"][0]
    assert dep["uri"].endswith("libc6.deb") and dep["digest"] == {"sha256": "cc" * 32}
    assert dep["name"] == "pkg:deb/debian/libc6@2.36-9+deb12u9?arch=amd64"
    assert rd["builder"]["id"] == slsa.BUILDER_ID and "hardbake" in rd["builder"]["version"]
    assert rd["metadata"]["startedOn"] == "2025-01-02T03:04:05Z"
    assert rd["metadata"]["finishedOn"] == "2025-01-02T03:04:47Z"
    assert rd["metadata"]["invocationId"].startswith("urn:uuid:")
    assert slsa.claimed_level(doc) == 1


def test_level_is_never_three() -> None:
    assert slsa.build_level(False)[0] == 1 and slsa.build_level(True)[0] == 2
    assert "never L3" in slsa.build_level(False)[1] and "not L3" in slsa.build_level(True)[1]
    assert slsa.claimed_level(_prov(hosted=True).to_predicate()) == 2


def test_validation() -> None:
    with pytest.raises(ValidationError):
        slsa.ResourceDescriptor.model_validate({"digest": {"sha256": "NOT-HEX"}})
    start = datetime.now(UTC)
    with pytest.raises(ValueError, match="finish before"):
        slsa.provenance(
            spec=slsa.ResourceDescriptor(),
            lock=slsa.ResourceDescriptor(),
            dependencies=[],
            started=start,
            finished=start - timedelta(seconds=1),
        )
