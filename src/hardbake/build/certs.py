"""The CA bundle, as update-ca-certificates would have made it (without running it).

Debian's ca-certificates ships certificates under /usr/share/ca-certificates and lets its
postinst build /etc/ssl/certs/ca-certificates.crt. We concatenate them in sorted order (all
enabled, the package's default), append the spec's extra certificates (a corporate CA), and
set SSL_CERT_FILE, as distroless does, instead of creating hash links.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from hardbake.build.rootfs import Node, RootFS
from hardbake.errors import InputError

BUNDLE = "etc/ssl/certs/ca-certificates.crt"


def load_extra(paths: list[Path]) -> list[bytes]:
    """Read and validate extra PEM certificates; refuse anything that is not one."""
    out = []
    for p in paths:
        try:
            data = p.read_bytes()
        except OSError as e:
            raise InputError(f"certificate {p}: cannot read ({e.strerror})") from e
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError as e:
            raise InputError(f"certificate {p}: not a PEM X.509 certificate ({e})") from e
        for c in certs:
            out.append(c.public_bytes(Encoding.PEM))
    return out


def write_bundle(fs: RootFS, extra: list[bytes], mtime: int) -> int:
    """Write the bundle if the image has CA certificates (or extra ones); returns the count."""
    crts = sorted(
        (
            n
            for p, n in fs.tree.items()
            if p.startswith("usr/share/ca-certificates/") and p.endswith(".crt") and n.data
        ),
        key=lambda n: n.path,
    )
    if not crts and not extra:
        return 0
    parts = [n.data.rstrip(b"\n") + b"\n" for n in crts if n.data is not None]
    parts += [e.rstrip(b"\n") + b"\n" for e in extra]
    fs.remove(BUNDLE)
    fs.put(Node(BUNDLE, "file", 0o644, mtime=mtime, data=b"".join(parts)))
    return len(parts)
