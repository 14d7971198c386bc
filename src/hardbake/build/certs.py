"""The CA bundle, as update-ca-certificates would have made it (without running it).

Debian's ca-certificates ships certificates under /usr/share/ca-certificates and lets its
postinst build /etc/ssl/certs/ca-certificates.crt. We concatenate them in sorted order (all
enabled, the package's default), append the spec's extra certificates (a corporate CA), and
set SSL_CERT_FILE, as distroless does, instead of creating hash links.
"""

from __future__ import annotations

import hashlib
import struct
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # roots with non-positive serials are still roots
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


JAVA_TRUSTSTORE = "etc/ssl/certs/java/cacerts"


def jks_truststore(certs: list[x509.Certificate], password: str, timestamp_ms: int) -> bytes:
    """A JKS keystore of trusted-certificate entries, byte for byte deterministic.

    Hand-written because PKCS#12 writers (cryptography's included) salt their MAC with random
    bytes, which would make every build's image different. JKS is the format
    ca-certificates-java itself wrote for years and every JRE reads (keystore.type.compat).
    Layout (sun.security.provider.JavaKeyStore): magic 0xFEEDFEED, version 2, entry count,
    entries (tag 2, alias, timestamp, "X.509", DER), then SHA-1 over the password as UTF-16BE,
    "Mighty Aphrodite" and everything before it.
    """

    def utf(text: str) -> bytes:
        raw = text.encode("utf-8")
        return struct.pack(">H", len(raw)) + raw

    body = bytearray(struct.pack(">III", 0xFEEDFEED, 2, len(certs)))
    for i, c in enumerate(certs):
        der = c.public_bytes(Encoding.DER)
        alias = f"debian:{i:04d}-{c.fingerprint(hashes.SHA256()).hex()[:16]}"
        body += struct.pack(">I", 2) + utf(alias) + struct.pack(">q", timestamp_ms) + utf("X.509")
        body += struct.pack(">I", len(der)) + der
    digest = hashlib.sha1(password.encode("utf-16-be") + b"Mighty Aphrodite" + bytes(body)).digest()
    return bytes(body) + digest


def write_java_truststore(fs: RootFS, mtime: int) -> int:
    """What ca-certificates-java's postinst makes (by running Java): a truststore of the
    bundle, password `changeit`, which the JRE's lib/security/cacerts links to. Written only
    when a JVM in the image points at it."""
    wanted = any(
        n.kind == "symlink" and (n.target or "").endswith("/etc/ssl/certs/java/cacerts")
        for p, n in fs.tree.items()
        if p.startswith("usr/lib/jvm/")
    )
    bundle = fs.get(BUNDLE)
    if not wanted or bundle is None or bundle.data is None:
        return 0
    with warnings.catch_warnings():
        # a few long-lived roots have non-positive serials; they are still the bundle's roots
        warnings.simplefilter("ignore")
        certs = x509.load_pem_x509_certificates(bundle.data)
    fs.remove(JAVA_TRUSTSTORE)
    fs.put(
        Node(
            JAVA_TRUSTSTORE, "file", 0o644, mtime=mtime, data=jks_truststore(certs, "changeit", mtime * 1000)
        )
    )
    return len(certs)
