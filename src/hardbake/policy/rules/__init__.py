"""The built-in rule catalogue: every rule, in a stable order, with a lookup by id."""

from __future__ import annotations

from hardbake.policy.rules import filesystem, identity, image, operations, privileges, resources
from hardbake.policy.rules.interface import (
    Profile,
    Refs,
    Rule,
    RuleContext,
    SignatureResult,
    SignatureVerifier,
)

RULES: tuple[Rule, ...] = (
    *image.RULES,
    *identity.RULES,
    *privileges.RULES,
    *filesystem.RULES,
    *resources.RULES,
    *operations.RULES,
)
BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
assert len(BY_ID) == len(RULES), "rule ids must be unique"

__all__ = ["BY_ID", "RULES", "Profile", "Refs", "Rule", "RuleContext", "SignatureResult", "SignatureVerifier"]
