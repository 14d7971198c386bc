"""SLSA provenance v1 (slsa.dev/spec/v1.0/provenance) for a hardbake build, and the level claimed.

hardbake signs provenance with a key the build process itself holds. SLSA Build L3 requires
that the key be out of reach of the build's user-defined steps (an isolated, hardened
build platform); hardbake cannot promise that, so it never claims L3. Provenance that
exists and is signed is Build L1; L2 also needs a hosted build platform (a CI service
rather than a workstation), which only the caller can vouch for (`hosted=True`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hardbake import __version__

BUILDER_ID = "https://hardbake.dev/builder/v1"
BUILD_TYPE = "https://hardbake.dev/build/v1"
DEB_MEDIA_TYPE = "application/vnd.debian.binary-package"


class ResourceDescriptor(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    uri: str | None = None
    digest: dict[str, str] = Field(default_factory=dict)
    name: str | None = None
    download_location: str | None = Field(None, alias="downloadLocation")
    media_type: str | None = Field(None, alias="mediaType")
    annotations: dict[str, Any] | None = None

    @field_validator("digest")
    @classmethod
    def _hex(cls, v: dict[str, str]) -> dict[str, str]:
        for algo, value in v.items():
            if not value or any(c not in "0123456789abcdef" for c in value):
                raise ValueError(f"digest {algo} must be lowercase hex, got {value!r}")
        return v


class Builder(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    id: str
    version: dict[str, str] = Field(default_factory=dict)
    builder_dependencies: list[ResourceDescriptor] = Field(default_factory=list, alias="builderDependencies")


class BuildMetadata(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    invocation_id: str = Field(alias="invocationId")
    started_on: datetime = Field(alias="startedOn")
    finished_on: datetime = Field(alias="finishedOn")


class RunDetails(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    builder: Builder
    metadata: BuildMetadata
    byproducts: list[ResourceDescriptor] = Field(default_factory=list)


class BuildDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    build_type: str = Field(alias="buildType")
    external_parameters: dict[str, Any] = Field(alias="externalParameters")
    internal_parameters: dict[str, Any] = Field(default_factory=dict, alias="internalParameters")
    resolved_dependencies: list[ResourceDescriptor] = Field(
        default_factory=list, alias="resolvedDependencies"
    )


class Provenance(BaseModel):
    """The predicate of an `https://slsa.dev/provenance/v1` statement."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    build_definition: BuildDefinition = Field(alias="buildDefinition")
    run_details: RunDetails = Field(alias="runDetails")

    def to_predicate(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)


def build_level(hosted: bool) -> tuple[int, str]:
    """The SLSA Build level hardbake can honestly claim, and why."""
    if hosted:
        return 2, (
            "signed provenance from a hosted build platform (Build L2); not L3 because the signing "
            "key is available to the build process itself, not isolated from it"
        )
    return 1, (
        "provenance exists and is signed (Build L1); not L2 because the build ran on a machine the "
        "caller did not declare a hosted build platform, and never L3 because the signing key is "
        "available to the build process itself"
    )


def deb_dependency(
    name: str,
    version: str,
    arch: str,
    url: str,
    sha256: str,
    *,
    suite: str | None = None,
    repository: str | None = None,
) -> ResourceDescriptor:
    """A resolved .deb: its URL and sha256, named by its Debian purl.

    `suite` (the lock's suite, e.g. `trixie-security`) and `repository` (the lock's logical
    repository name) go into `annotations`: `verify --keyring` reads the suite to know which
    signed Packages index must list the .deb."""
    annotations = {k: v for k, v in (("suite", suite), ("repository", repository)) if v}
    return ResourceDescriptor.model_validate(
        {
            "uri": url,
            "digest": {"sha256": sha256},
            "name": f"pkg:deb/debian/{name}@{version}?arch={arch}",
            "downloadLocation": url,
            "mediaType": DEB_MEDIA_TYPE,
            "annotations": annotations or None,
        }
    )


def provenance(
    *,
    spec: ResourceDescriptor,
    lock: ResourceDescriptor,
    dependencies: list[ResourceDescriptor],
    started: datetime,
    finished: datetime,
    external: dict[str, Any] | None = None,
    internal: dict[str, Any] | None = None,
    builder_id: str = BUILDER_ID,
    hosted: bool = False,
    invocation_id: str | None = None,
) -> Provenance:
    """Provenance of one build: spec and lock as external parameters, every .deb resolved."""
    if finished < started:
        raise ValueError("a build cannot finish before it starts")
    level, reason = build_level(hosted)
    level_note = ResourceDescriptor.model_validate(
        {"name": "slsa-build-level", "annotations": {"level": level, "reason": reason}}
    )
    return Provenance.model_validate(
        {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "spec": spec.model_dump(by_alias=True, mode="json", exclude_none=True),
                    "lock": lock.model_dump(by_alias=True, mode="json", exclude_none=True),
                    **(external or {}),
                },
                "internalParameters": internal or {},
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": {"id": builder_id, "version": {"hardbake": __version__}},
                "metadata": {
                    "invocationId": invocation_id or f"urn:uuid:{uuid.uuid4()}",
                    "startedOn": started.astimezone(UTC),
                    "finishedOn": finished.astimezone(UTC),
                },
                "byproducts": [level_note],
            },
        }
    )


def claimed_level(predicate: dict[str, Any]) -> int | None:
    """The Build level a hardbake provenance predicate records (None if it records none)."""
    for bp in (predicate.get("runDetails") or {}).get("byproducts") or []:
        if isinstance(bp, dict) and bp.get("name") == "slsa-build-level":
            level = (bp.get("annotations") or {}).get("level")
            return int(level) if isinstance(level, int) else None
    return None
