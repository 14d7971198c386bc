"""Content digests (OCI image-spec descriptor.md, "Digests") and readers that verify them.

hardbake names every blob `sha256:<64 lowercase hex>`; other algorithms are refused with a
clear error rather than half-supported. `VerifyingReader` is how every blob is read: it hashes
what flows through and raises `DigestMismatch` at end of stream when the bytes or their count
differ from what the descriptor promised, so a consumer can never finish reading a tampered
blob without noticing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from hardbake.errors import InputError
from hardbake.oci.errors import DigestMismatch
from hardbake.oci.readstream import ReadStream

_HEX64 = re.compile(r"[a-f0-9]{64}")
_READ = 1 << 20


@dataclass(frozen=True, order=True)
class Digest:
    """A sha256 content digest; `str(d)` is `sha256:<hex>`."""

    hex: str
    algorithm: ClassVar[str] = "sha256"

    def __post_init__(self) -> None:
        if not isinstance(self.hex, str) or not _HEX64.fullmatch(self.hex):
            raise InputError(f"invalid sha256 digest {self.hex!r}: expected 64 lowercase hex digits")

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse `sha256:<hex>`; anything else is an InputError saying what was expected."""
        if not isinstance(text, str):
            raise InputError(f"invalid digest {text!r}: expected a string sha256:<64 hex digits>")
        algorithm, sep, encoded = text.partition(":")
        if not sep:
            raise InputError(f"invalid digest {text!r}: expected sha256:<64 hex digits>")
        if algorithm != "sha256":
            raise InputError(
                f"unsupported digest algorithm {algorithm!r} in {text!r}: hardbake handles sha256 only"
            )
        if not _HEX64.fullmatch(encoded):
            raise InputError(f"invalid digest {text!r}: expected 64 lowercase hex digits after 'sha256:'")
        return cls(encoded)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Digest:
        return cls(hashlib.sha256(data).hexdigest())

    @classmethod
    def from_hasher(cls, hasher: Any) -> Digest:
        """From a finished `hashlib.sha256()` object."""
        return cls(hasher.hexdigest())

    @classmethod
    def from_stream(cls, stream: BinaryIO) -> tuple[Digest, int]:
        """Digest and byte count of everything left in `stream` (read in 1 MiB pieces)."""
        h = hashlib.sha256()
        n = 0
        while chunk := stream.read(_READ):
            h.update(chunk)
            n += len(chunk)
        return cls(h.hexdigest()), n

    @classmethod
    def from_file(cls, path: Path) -> tuple[Digest, int]:
        with open(path, "rb") as f:
            return cls.from_stream(f)

    @property
    def short(self) -> str:
        """The first 12 hex digits, as `docker images` shows IDs."""
        return self.hex[:12]

    def __str__(self) -> str:
        return f"sha256:{self.hex}"


class VerifyingReader(ReadStream):
    """A read-only stream over `raw` that checks digest and size when `raw` is exhausted.

    `what` names the blob in error messages ("layer 2 of oci:out:app"). A stream longer than
    `size` fails as soon as the excess is seen; a shorter or different one fails at EOF.
    Closing the reader closes `raw`.
    """

    def __init__(self, raw: BinaryIO, digest: Digest, size: int | None, what: str) -> None:
        super().__init__()
        self._raw = raw
        self._digest = digest
        self._size = size
        self._what = what
        self._hash = hashlib.sha256()
        self._count = 0
        self.verified = False

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while chunk := self.read(_READ):
                parts.append(chunk)
            return b"".join(parts)
        if n == 0:
            return b""
        data = self._raw.read(n)
        if not data:
            self._finish()
            return b""
        self._hash.update(data)
        self._count += len(data)
        if self._size is not None and self._count > self._size:
            raise DigestMismatch(
                f"{self._what}: more than the {self._size} bytes its descriptor declares",
                hint="the blob is corrupt or was tampered with; re-create or re-fetch it",
            )
        return data

    def drain(self) -> None:
        """Read to the end so the digest is checked even if the consumer stopped early."""
        while self.read(_READ):
            pass

    def _finish(self) -> None:
        if self.verified:
            return
        actual = Digest.from_hasher(self._hash)
        if self._size is not None and self._count != self._size:
            raise DigestMismatch(
                f"{self._what}: expected {self._size} bytes, found {self._count} (truncated or corrupt)",
                hint="the blob is corrupt or was tampered with; re-create or re-fetch it",
            )
        if actual != self._digest:
            raise DigestMismatch(
                f"{self._what}: expected digest {self._digest}, found {actual}",
                hint="the blob is corrupt or was tampered with; re-create or re-fetch it",
            )
        self.verified = True

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()
