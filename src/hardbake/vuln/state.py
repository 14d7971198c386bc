"""Finding states, and the Debian security tracker's per-release kinds they come from.

Every Debian triage decision stays a distinct state (Trivy folds no-dsa into "affected",
Grype keeps a NoAdvisory flag; hardbake keeps them all):

| state            | meaning                                                                 |
|------------------|-------------------------------------------------------------------------|
| affected         | vulnerable, no fix for this release (unfixed, or fixed only in sid)     |
| fixed-available  | a fixed version exists for this release; the installed one is older     |
| fixed            | the installed version contains the fix (not reported as a finding)      |
| no-dsa           | Debian will not issue an advisory (reason kept: "Minor issue", ...)     |
| postponed        | fix deferred to a later update round                                    |
| ignored          | Debian will not fix it in this release ("will not fix")                 |
| end-of-life      | the package is no longer security-supported in this release             |
| not-affected     | this release was never vulnerable (`<not-affected>`, fixed_version 0)   |
| unimportant      | vulnerable, but Debian rates it unimportant and does not track a fix    |
| undetermined     | nobody has decided yet whether this release is affected                 |
"""

from __future__ import annotations

from enum import StrEnum

from hardbake.errors import InputError


class State(StrEnum):
    affected = "affected"
    fixed_available = "fixed-available"
    fixed = "fixed"
    no_dsa = "no-dsa"
    postponed = "postponed"
    ignored = "ignored"
    end_of_life = "end-of-life"
    not_affected = "not-affected"
    unimportant = "unimportant"
    undetermined = "undetermined"

    @classmethod
    def parse(cls, text: str) -> State:
        t = text.strip().lower().replace("_", "-")
        t = {"will-not-fix": "ignored", "wont-fix": "ignored", "nodsa": "no-dsa"}.get(t, t)
        try:
            return cls(t)
        except ValueError:
            known = ", ".join(s.value for s in cls)
            raise InputError(f"unknown finding state {text!r}", hint=f"use one of: {known}") from None

    @property
    def open(self) -> bool:
        """Does the installed package still carry the vulnerability (per the data)?"""
        return self not in (State.fixed, State.not_affected)


class Kind(StrEnum):
    """A per-release annotation kind of the Debian tracker (`data/CVE/list` grammar)."""

    fixed = "fixed"  # `- pkg VERSION`
    unfixed = "unfixed"  # `<unfixed>`
    no_dsa = "no-dsa"
    postponed = "postponed"
    ignored = "ignored"
    end_of_life = "end-of-life"
    not_affected = "not-affected"
    removed = "removed"
    undetermined = "undetermined"
    itp = "itp"  # `<itp>`: package not yet in Debian (bug number of the ITP)

    @classmethod
    def parse(cls, text: str) -> Kind:
        try:
            return cls(text.strip().strip("<>").lower())
        except ValueError:
            known = ", ".join(f"<{k.value}>" for k in cls if k is not Kind.fixed)
            raise FeedFormatError(
                f"unknown Debian tracker state {text!r}", hint=f"the tracker's states are: {known}"
            ) from None


class FeedFormatError(InputError):
    """A feed's content does not follow its published format (exit 2; the DB is left as it was)."""
