"""The one error hierarchy of hardbake.

The library raises these; only the CLI prints them and turns them into exit codes (the
conventions in docs/architecture.md): 0 success, 1 a gate failed, 2 usage or input error,
3 environment error. Messages say what was expected, what was found, and what to do.
"""

from __future__ import annotations


class Error(Exception):
    """Base of every error hardbake raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The full user-facing text: the message and, if any, what to do about it."""
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class InputError(Error):
    """Bad input from the user: a malformed spec, reference, file or argument (exit 2)."""

    exit_code = 2


class PolicyRefused(Error):
    """A policy refused the input (exit 2, as the CLI conventions say)."""

    exit_code = 2


class GateFailed(Error):
    """A check the user asked for did not pass: findings, verification, image test (exit 1)."""

    exit_code = 1


class VerificationError(GateFailed):
    """A signature, digest or attestation did not verify (exit 1)."""


class EnvError(Error):
    """Something outside hardbake is missing or failing: engine, network, tool (exit 3)."""

    exit_code = 3


class NetworkError(EnvError):
    """A download or a connection failed after the allowed retries (exit 3)."""


class IntegrityError(EnvError):
    """Bytes from outside did not match what a signed index promised (exit 3).

    Tampered InRelease, Packages or .deb files: never a warning, always this.
    """


class ToolMissing(EnvError):
    """An external program or service hardbake needs is not available (exit 3)."""
