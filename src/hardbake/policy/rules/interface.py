"""What a built-in rule is: a stable id, severities per profile, references, a fix and a check.

A check reads one normalised `Container` and yields `Violation`s (a message and the place to
fix it); the engine turns them into `Finding`s with the severity the profile and the user's
configuration give the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from hardbake.oci.reference import RegistryRef
from hardbake.policy.model import Container, Location, Severity, SourceKind


class Profile(StrEnum):
    """The article's progression: lenient in dev, production-like in staging, strict in production."""

    dev = "dev"
    staging = "staging"
    production = "production"


ALL_SOURCES = frozenset(SourceKind)


@dataclass(frozen=True)
class Refs:
    """Cross-references to the rule sets users already know."""

    pss: str | None = None  # Pod Security Standards level and control
    cis: str | None = None  # CIS Docker Benchmark 1.6 recommendation
    checkov: tuple[str, ...] = ()
    hadolint: tuple[str, ...] = ()

    def as_list(self) -> list[str]:
        out = []
        if self.pss:
            out.append(f"PSS {self.pss}")
        if self.cis:
            out.append(f"CIS Docker 1.6 {self.cis}")
        out.extend(self.checkov)
        out.extend(self.hadolint)
        return out


@dataclass(frozen=True)
class Violation:
    message: str
    where: Location
    #: a lower severity for this one finding (e.g. pids on Kubernetes is informational)
    severity: Severity | None = None


@dataclass(frozen=True)
class SignatureResult:
    verified: bool
    detail: str = ""


class SignatureVerifier(Protocol):
    """Answers whether an image reference carries a valid signature (e.g. `hardbake verify`)."""

    def __call__(self, ref: RegistryRef) -> SignatureResult: ...


@dataclass(frozen=True)
class RuleContext:
    """What checks may consult besides the container: configuration, injected services."""

    allowed_prefixes: tuple[str, ...]
    verifier: SignatureVerifier | None = None

    def is_hardened(self, ref: RegistryRef) -> bool:
        name = ref.name + "/"
        return any(name.startswith(p) for p in self.allowed_prefixes)


Check = Callable[[Container, RuleContext], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    category: str
    title: str
    fix: str
    check: Check = field(repr=False)
    production: Severity
    staging: Severity | None
    dev: Severity | None
    refs: Refs = Refs()
    sources: frozenset[SourceKind] = ALL_SOURCES
    enabled_by_default: bool = True

    def severity_for(self, profile: Profile) -> Severity | None:
        """The built-in severity in `profile`, or None when the profile leaves the rule off."""
        match profile:
            case Profile.production:
                return self.production
            case Profile.staging:
                return self.staging
            case Profile.dev:
                return self.dev
