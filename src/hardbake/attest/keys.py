"""Signing keys: ECDSA P-256 pairs, in the files cosign reads and writes.

`cosign.key` is cosign's encrypted private key: a PEM block of type `ENCRYPTED SIGSTORE
PRIVATE KEY` (older cosign: `ENCRYPTED COSIGN PRIVATE KEY`) whose body is the JSON envelope
of go-securesystemslib's `encrypted` package: scrypt (N=32768, r=8, p=1, 32-byte salt)
derives a 32-byte key; NaCl secretbox (XSalsa20-Poly1305, 24-byte nonce) seals the PKCS#8
DER private key; `salt`, `nonce` and `ciphertext` are standard base64. cryptography has
scrypt but no XSalsa20, hence PyNaCl for the secretbox. `cosign.pub` is a SubjectPublicKeyInfo
PEM (`PUBLIC KEY`). On input, plain or encrypted PKCS#8 PEM (`PRIVATE KEY`,
`ENCRYPTED PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`) are accepted as well.

Signatures are ECDSA over SHA-256 (SHA-384/512 for P-384/P-521 keys, as cosign does), DER
encoded. Private key material is never logged; the file writer uses mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nacl.exceptions
import nacl.secret
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from hardbake import atomic
from hardbake.errors import InputError

SIGSTORE_PEM = "ENCRYPTED SIGSTORE PRIVATE KEY"
COSIGN_PEM = "ENCRYPTED COSIGN PRIVATE KEY"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 32768, 8, 1
_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.S)
_HASH_FOR_CURVE: dict[str, type[hashes.HashAlgorithm]] = {
    "secp256r1": hashes.SHA256,
    "secp384r1": hashes.SHA384,
    "secp521r1": hashes.SHA512,
}


class KeyFileError(InputError):
    """A key file could not be read, decrypted or used (exit 2)."""


def _hash_for(curve: ec.EllipticCurve) -> hashes.HashAlgorithm:
    try:
        return _HASH_FOR_CURVE[curve.name]()
    except KeyError:
        raise KeyFileError(f"unsupported ECDSA curve {curve.name}", hint="use a P-256 key") from None


@dataclass(frozen=True)
class VerifyingKey:
    """An ECDSA public key that checks DER signatures."""

    key: ec.EllipticCurvePublicKey

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data, ec.ECDSA(_hash_for(self.key.curve)))
        except (InvalidSignature, ValueError):
            return False
        return True

    def pem(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def keyid(self) -> str:
        """Hex SHA-256 of the SubjectPublicKeyInfo DER: a stable name for this key."""
        der = self.key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class SigningKey:
    """An ECDSA private key. Its repr never shows key material."""

    key: ec.EllipticCurvePrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def public(self) -> VerifyingKey:
        return VerifyingKey(self.key.public_key())

    @property
    def keyid(self) -> str:
        return self.public.keyid

    def sign(self, data: bytes) -> bytes:
        """DER ECDSA signature over `data` (hashed with the curve's hash)."""
        return self.key.sign(data, ec.ECDSA(_hash_for(self.key.curve)))

    def pkcs8_der(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def to_cosign_pem(self, password: bytes) -> bytes:
        """The key as cosign's `ENCRYPTED SIGSTORE PRIVATE KEY` PEM, sealed with `password`."""
        body = encrypt(self.pkcs8_der(), password)
        b64 = base64.b64encode(body).decode()
        lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
        return (
            f"-----BEGIN {SIGSTORE_PEM}-----\n" + "\n".join(lines) + f"\n-----END {SIGSTORE_PEM}-----\n"
        ).encode()


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=nacl.secret.SecretBox.KEY_SIZE, n=n, r=r, p=p).derive(password)


def encrypt(plaintext: bytes, password: bytes) -> bytes:
    """go-securesystemslib `encrypted.Encrypt`: scrypt + nacl/secretbox, as JSON bytes."""
    salt = os.urandom(32)
    nonce = os.urandom(nacl.secret.SecretBox.NONCE_SIZE)
    box = nacl.secret.SecretBox(_scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
    sealed = box.encrypt(plaintext, nonce).ciphertext
    doc = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return json.dumps(doc).encode()


def decrypt(body: bytes, password: bytes) -> bytes:
    """go-securesystemslib `encrypted.Decrypt`; raises KeyFileError on a wrong password."""
    try:
        doc = json.loads(body)
        kdf, cipher = doc["kdf"], doc["cipher"]
        if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
            raise KeyFileError(f"unsupported key encryption {kdf['name']}+{cipher['name']}")
        params = kdf["params"]
        n, r, p = int(params["N"]), int(params["r"]), int(params["p"])
        # Refuse absurd work factors (a crafted file must not pin the CPU for hours).
        if n > 1 << 20 or r > 32 or p > 16:
            raise KeyFileError(f"key file asks for scrypt N={n} r={r} p={p}, beyond what hardbake accepts")
        salt = base64.b64decode(kdf["salt"])
        nonce = base64.b64decode(cipher["nonce"])
        sealed = base64.b64decode(doc["ciphertext"])
    except (ValueError, KeyError, TypeError) as e:
        raise KeyFileError(f"not an encrypted cosign key: {e}") from e
    box = nacl.secret.SecretBox(_scrypt(password, salt, n, r, p))
    try:
        return box.decrypt(sealed, nonce)
    except nacl.exceptions.CryptoError as e:
        raise KeyFileError(
            "cannot decrypt the private key: wrong password", hint="check HARDBAKE_KEY_PASSWORD"
        ) from e


def _as_signing_key(obj: object, where: str) -> SigningKey:
    if not isinstance(obj, ec.EllipticCurvePrivateKey):
        raise KeyFileError(
            f"{where}: expected an ECDSA private key, found {type(obj).__name__}", hint="use a P-256 key"
        )
    _hash_for(obj.curve)
    return SigningKey(obj)


def load_private_key(data: bytes, password: bytes | None, where: str = "private key") -> SigningKey:
    """Read a cosign key, or a PKCS#8/SEC1 PEM key (encrypted PKCS#8 needs `password`)."""
    m = _PEM_RE.search(data)
    if not m:
        raise KeyFileError(f"{where}: no PEM block found", hint="expected cosign.key or a PEM private key")
    kind = m.group(1).decode()
    if kind in (SIGSTORE_PEM, COSIGN_PEM):
        if password is None:
            raise KeyFileError(
                f"{where} is encrypted and no password was given", hint="set HARDBAKE_KEY_PASSWORD"
            )
        try:
            body = base64.b64decode(b"".join(m.group(2).split()), validate=True)
        except ValueError as e:
            raise KeyFileError(f"{where}: PEM body is not base64") from e
        der = decrypt(body, password)
        return _as_signing_key(serialization.load_der_private_key(der, None), where)
    if kind in ("PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"):
        pw = password if kind == "ENCRYPTED PRIVATE KEY" else None
        if kind == "ENCRYPTED PRIVATE KEY" and password is None:
            raise KeyFileError(
                f"{where} is encrypted and no password was given", hint="set HARDBAKE_KEY_PASSWORD"
            )
        try:
            return _as_signing_key(serialization.load_pem_private_key(m.group(0), pw), where)
        except ValueError as e:
            raise KeyFileError(f"{where}: cannot load {kind}: {e}") from e
    raise KeyFileError(
        f"{where}: unsupported PEM type {kind!r}", hint="expected cosign.key or a PEM private key"
    )


def load_public_key(data: bytes, where: str = "public key") -> VerifyingKey:
    """Read a `PUBLIC KEY` PEM (cosign.pub)."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as e:
        raise KeyFileError(f"{where}: not a PEM public key: {e}", hint="expected cosign.pub") from e
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyFileError(f"{where}: expected an ECDSA public key, found {type(key).__name__}")
    _hash_for(key.curve)
    return VerifyingKey(key)


def write_key_pair(
    key: SigningKey, out_dir: Path, password: bytes, *, overwrite: bool = False
) -> tuple[Path, Path]:
    """Write `cosign.key` (encrypted, 0600, atomically) and `cosign.pub` under `out_dir`."""
    priv, pub = out_dir / "cosign.key", out_dir / "cosign.pub"
    if not overwrite and (priv.exists() or pub.exists()):
        raise InputError(f"{priv} or {pub} already exists", hint="choose another --out-dir or pass --force")
    atomic.write_bytes(priv, key.to_cosign_pem(password), mode=0o600)
    atomic.write_bytes(pub, key.public.pem(), mode=0o644)
    return priv, pub
