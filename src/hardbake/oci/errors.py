"""Errors of the OCI layer: malformed or unsafe images, and bytes that do not match their digest."""

from __future__ import annotations

from hardbake.errors import InputError, IntegrityError


class ImageError(InputError):
    """An image, layout, archive or layer is malformed, unsafe or not what was asked for (exit 2)."""


class DigestMismatch(IntegrityError):
    """A blob's bytes do not match the digest or size that names it (exit 3).

    Raised for a tampered or truncated blob: the manifest, config or layer cannot be trusted.
    """
