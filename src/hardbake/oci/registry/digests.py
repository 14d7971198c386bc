"""Content digests as `ALGO:HEX` strings, and a hasher that checks them while bytes stream by.

The distribution spec names content by digest; everything this client pulls is checked
against the digest it asked for before a caller sees it.
"""

from __future__ import annotations

import hashlib
import re

from hardbake.errors import InputError, VerificationError

_DIGEST_RE = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")


def validate(digest: str) -> str:
    """Return `digest` if it is a well-formed sha256/sha512 digest, else raise InputError."""
    if not _DIGEST_RE.match(digest):
        raise InputError(
            f"invalid digest {digest!r}",
            hint="expected 'sha256:' followed by 64 lowercase hex digits",
        )
    return digest


def sha256(data: bytes) -> str:
    """`sha256:<hex>` of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def hex_of(digest: str) -> str:
    """The hex part of `ALGO:HEX`."""
    return validate(digest).split(":", 1)[1]


def tag_of(digest: str) -> str:
    """The tag-schema name of a digest: `sha256:abc...` -> `sha256-abc...`."""
    return validate(digest).replace(":", "-", 1)


class DigestChecker:
    """Hash bytes as they arrive; `check()` raises if they do not match the expected digest."""

    def __init__(self, expected: str) -> None:
        self.expected = validate(expected)
        algo = expected.split(":", 1)[0]
        self._h = hashlib.new(algo)
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._h.update(chunk)
        self.size += len(chunk)

    def reset(self) -> None:
        self._h = hashlib.new(self.expected.split(":", 1)[0])
        self.size = 0

    @property
    def actual(self) -> str:
        return f"{self._h.name}:{self._h.hexdigest()}"

    def check(self, what: str) -> None:
        if self.actual != self.expected:
            raise VerificationError(
                f"{what}: content digest mismatch: expected {self.expected}, got {self.actual} "
                f"({self.size} bytes)",
                hint="the registry served bytes that are not what was asked for; "
                "the content was tampered with or corrupted in storage",
            )


def verify(data: bytes, expected: str, what: str) -> None:
    """Raise VerificationError unless `data` hashes to `expected`."""
    checker = DigestChecker(expected)
    checker.update(data)
    checker.check(what)
