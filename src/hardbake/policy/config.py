"""The policy configuration file (YAML): profiles, rule switches, registries, failure mode.

    version: 1
    profile: production            # default profile (dev | staging | production)
    fail_on: high                  # gate for `policy check` and the webhook's deny
    allowed_registries: [hardbake/, registry.example.com/hardened/]
    namespaces: {"prod-*": production, "team-a-dev": dev}   # Kubernetes namespace globs
    paths: {"deploy/dev/**": dev}                           # file path globs (any source)
    rules:                         # for every profile
      HB-IMG-002: {enabled: false}
      HB-RES-002: {severity: low}
      HB-IMG-004: {enabled: true}  # signature rule: off by default, needs `signature:`
    profiles:                      # per profile, applied after `rules`
      staging: {rules: {HB-FS-001: {severity: medium}}}
    signature: {command: [cosign, verify, --key, cosign.pub, "{image}"], timeout: 30}
    webhook: {failure_mode: closed, namespace: hardbake-system, service: hardbake-policy,
              exclude_namespaces: [kube-system]}

Unknown keys and unknown rule ids are refused, so a typo never silently disables a rule.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hardbake.errors import InputError
from hardbake.oci.reference import RegistryRef
from hardbake.policy.model import Severity
from hardbake.policy.rules import BY_ID, Profile

DEFAULT_PREFIX = "hardbake/"


def normalise_prefix(prefix: str) -> str:
    """`hardbake/` -> `docker.io/hardbake/`; `ghcr.io/acme` -> `ghcr.io/acme/`."""
    p = prefix.strip().removeprefix("docker://").rstrip("/")
    if not p:
        raise InputError(
            "empty registry prefix in allowed_registries", hint="e.g. hardbake/ or ghcr.io/acme/"
        )
    try:
        ref = RegistryRef.parse(p + "/x")
    except InputError as e:
        raise InputError(
            f"allowed registry prefix {prefix!r} is not a registry/namespace prefix: {e.message}",
            hint="write it like hardbake/ or registry.example.com/hardened/",
        ) from e
    if "/" not in p and ("." in p or ":" in p or p == "localhost"):
        return ref.registry + "/"
    return ref.name[: -len("x")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class RuleSetting(_Model):
    enabled: bool | None = None
    severity: Severity | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _sev(cls, v: Any) -> Any:
        return Severity.parse(v) if isinstance(v, str) else v


def _check_ids(v: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
    unknown = sorted(set(v) - set(BY_ID))
    if unknown:
        raise ValueError(f"unknown rule ids {unknown}; known ids: {', '.join(BY_ID)}")
    return v


class ProfileSettings(_Model):
    rules: dict[str, RuleSetting] = Field(default_factory=dict)

    @field_validator("rules")
    @classmethod
    def _ids(cls, v: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
        return _check_ids(v)


class SignatureSettings(_Model):
    command: list[str] = Field(min_length=1)
    timeout: float = 30.0

    @field_validator("command")
    @classmethod
    def _needs_image(cls, v: list[str]) -> list[str]:
        if not any("{image}" in a for a in v):
            raise ValueError("signature.command must contain the placeholder {image}")
        return v


class WebhookSettings(_Model):
    failure_mode: Literal["closed", "open"] = "closed"
    namespace: str = "hardbake-system"
    service: str = "hardbake-policy"
    exclude_namespaces: list[str] = Field(default_factory=lambda: ["kube-system"])
    timeout_seconds: int = Field(default=5, ge=1, le=30)


class PolicyConfig(_Model):
    version: Literal[1] = 1
    profile: Profile = Profile.production
    fail_on: Severity = Severity.high
    allowed_registries: list[str] = Field(default_factory=lambda: [DEFAULT_PREFIX], min_length=1)
    namespaces: dict[str, Profile] = Field(default_factory=dict)
    paths: dict[str, Profile] = Field(default_factory=dict)
    rules: dict[str, RuleSetting] = Field(default_factory=dict)
    profiles: dict[Profile, ProfileSettings] = Field(default_factory=dict)
    signature: SignatureSettings | None = None
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)

    @field_validator("rules")
    @classmethod
    def _ids(cls, v: dict[str, RuleSetting]) -> dict[str, RuleSetting]:
        return _check_ids(v)

    @field_validator("fail_on", mode="before")
    @classmethod
    def _sev(cls, v: Any) -> Any:
        return Severity.parse(v) if isinstance(v, str) else v

    @field_validator("allowed_registries")
    @classmethod
    def _prefixes(cls, v: list[str]) -> list[str]:
        try:
            return [normalise_prefix(p) for p in v]
        except InputError as e:
            raise ValueError(e.message) from e

    def profile_for(self, *, namespace: str | None = None, file: str | None = None) -> Profile:
        """Namespace globs first (Kubernetes), then path globs, then the default profile."""
        if namespace is not None:
            for pattern, prof in self.namespaces.items():
                if fnmatch.fnmatchcase(namespace, pattern):
                    return prof
        if file is not None and self.paths:
            # as written and relative to the working directory (where a CI job runs the check)
            candidates = {file, os.path.relpath(file)} if os.path.isabs(file) else {file}
            for pattern, prof in self.paths.items():
                for cand in candidates:
                    if fnmatch.fnmatchcase(cand, pattern) or fnmatch.fnmatchcase(
                        cand, pattern.replace("**/", "")
                    ):
                        return prof
        return self.profile

    def rule_severity(self, rule_id: str, profile: Profile) -> Severity | None:
        """The severity of a rule in a profile after the overrides, or None when it is off."""
        rule = BY_ID[rule_id]
        sev = rule.severity_for(profile)
        enabled = rule.enabled_by_default and sev is not None
        for setting in (
            self.rules.get(rule_id),
            self.profiles.get(profile, ProfileSettings()).rules.get(rule_id),
        ):
            if setting is None:
                continue
            if setting.severity is not None:
                sev = setting.severity
            if setting.enabled is not None:
                enabled = setting.enabled
        if enabled and sev is None:
            sev = rule.production  # enabled explicitly in a profile that had it off
        return sev if enabled else None


def load_config(path: Path | None) -> PolicyConfig:
    """Read and validate a config file; None gives the defaults."""
    if path is None:
        return PolicyConfig()
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as e:
        raise InputError(f"cannot read policy config {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise InputError(f"policy config {path} is not valid YAML: {e}") from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"policy config {path} must be a mapping, found {type(data).__name__}")
    try:
        return PolicyConfig.model_validate(data)
    except ValidationError as e:
        lines = "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())
        raise InputError(
            f"policy config {path} is invalid: {lines}", hint="see docs/policy.md (configuration)"
        ) from e
