"""A low-level OCI distribution client on raw bytes (digests as `sha256:<hex>` strings).

Public API: `RegistryClient` (blobs, manifests, tags, referrers, mounts), `Descriptor`,
`Manifest`, credentials (`resolve_credentials`, `Credentials`, `CredentialSource`),
`RetryPolicy`, and the error types. An image model lives elsewhere in `hardbake.oci`.
"""

from hardbake.oci.registry.auth import Credentials, CredentialSource, resolve_credentials
from hardbake.oci.registry.client import Descriptor, Manifest, RegistryClient
from hardbake.oci.registry.errors import RegistryNotFound, RegistryRefused
from hardbake.oci.registry.transport import RegistryAuthError, RetryPolicy, is_loopback

__all__ = [
    "CredentialSource",
    "Credentials",
    "Descriptor",
    "Manifest",
    "RegistryAuthError",
    "RegistryClient",
    "RegistryNotFound",
    "RegistryRefused",
    "RetryPolicy",
    "is_loopback",
    "resolve_credentials",
]
