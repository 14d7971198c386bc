"""OpenPGP verification of Debian's InRelease / Release.gpg, with gpgv.

gpgv is the verifier apt itself uses: a keyring-only OpenPGP checker with no trust database
and no agent. No maintained pure-Python OpenPGP implementation exists (PGPy is unmaintained
and breaks with current `cryptography`), and hand-rolled OpenPGP parsing is exactly where
apt had its worst signature bugs, so we run gpgv and read its machine-readable status lines.

Rules (as apt applies them): at least one VALIDSIG by a key in the keyring; any BADSIG is a
failure; signatures with a weak digest (MD5, SHA-1) do not count. For InRelease, the text we
return is what gpgv wrote out as signed data, never the file's own cleartext, so nothing
outside the signature can sneak into the parsed Release.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hardbake.errors import IntegrityError, ToolMissing

# RFC 4880 9.4 hash algorithm ids: 1 MD5, 2 SHA-1, 3 RIPEMD160 are not accepted
_WEAK_HASHES = {"1", "2", "3"}


@dataclass(frozen=True)
class Verified:
    """The signed content and the fingerprints of the keys whose signatures were valid."""

    content: bytes
    fingerprints: tuple[str, ...]


def _gpgv() -> str:
    path = shutil.which("gpgv")
    if path is None:
        raise ToolMissing(
            "gpgv is not installed; it is needed to check Debian's archive signatures",
            hint="apt-get install gpgv",
        )
    return path


def _keyring_file(keyring: Path, tmp: Path) -> Path:
    """gpgv reads binary keyrings; dearmor an ASCII-armored one (`.asc`) into `tmp`."""
    if not keyring.is_file():
        raise IntegrityError(
            f"keyring {keyring} does not exist",
            hint="install debian-archive-keyring or pass the repository's keyring file",
        )
    data = keyring.read_bytes()
    if not data.lstrip().startswith(b"-----BEGIN PGP"):
        return keyring
    out = bytearray()
    for block in re.findall(
        rb"-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n(.*?)-----END PGP PUBLIC KEY BLOCK-----", data, re.S
    ):
        # skip armor headers (up to the blank line), drop the CRC line ("=XXXX")
        body = block.split(b"\n\n", 1)[-1] if b"\n\n" in block else block
        lines = [ln for ln in body.splitlines() if ln and not ln.startswith(b"=")]
        out += base64.b64decode(b"".join(lines))
    if not out:
        raise IntegrityError(f"keyring {keyring}: no public key block found")
    dest = tmp / "keyring.gpg"
    dest.write_bytes(bytes(out))
    return dest


def _run(args: list[str], what: str) -> tuple[bytes, list[str]]:
    proc = subprocess.run(args, capture_output=True, check=False, timeout=120)
    status = [ln for ln in proc.stdout.decode("utf-8", "replace").splitlines() if ln.startswith("[GNUPG:] ")]
    return proc.stderr, status


def _evaluate(status: list[str], what: str, stderr: bytes) -> tuple[str, ...]:
    valid: list[str] = []
    bad: list[str] = []
    missing: list[str] = []
    weak: list[str] = []
    unusable: list[str] = []  # long key ids of expired or revoked keys
    for line in status:
        parts = line.split()[1:]
        kind = parts[0]
        if kind == "VALIDSIG":
            # VALIDSIG <fpr> <date> <ts> <expire> <ver> <rsv> <pkalgo> <hashalgo> <class> <primary-fpr>
            if parts[8] in _WEAK_HASHES:
                weak.append(parts[1])
            else:
                valid.append(parts[-1] if len(parts) > 10 else parts[1])
        elif kind == "BADSIG":
            bad.append(parts[1])
        elif kind in ("NO_PUBKEY", "ERRSIG"):
            missing.append(parts[1])
        elif kind in ("EXPKEYSIG", "REVKEYSIG"):
            unusable.append(parts[1])
    if bad:
        raise IntegrityError(
            f"{what}: BAD signature by key {', '.join(bad)} - the file was altered after signing",
            hint="the mirror or the network path serves tampered data; do not use it",
        )
    valid = [f for f in valid if not any(f.endswith(k) for k in unusable)]
    if unusable and not valid:
        missing.extend(f"{k} (expired or revoked)" for k in unusable)
    if not valid:
        detail = stderr.decode("utf-8", "replace").strip().splitlines()
        why = "no valid signature"
        if missing:
            why += f" (signed only by keys not in the keyring: {', '.join(missing)})"
        if weak:
            why += f" (signatures with a weak digest ignored: {', '.join(weak)})"
        raise IntegrityError(
            f"{what}: {why}",
            hint=(detail[-1] if detail else "check the keyring given for this repository"),
        )
    return tuple(sorted(set(valid)))


def verify_inrelease(data: bytes, keyring: Path, what: str) -> Verified:
    """Verify a clearsigned InRelease; return the signed text as gpgv extracted it."""
    if not data.lstrip().startswith(b"-----BEGIN PGP SIGNED MESSAGE-----"):
        raise IntegrityError(f"{what}: not a clearsigned file (no PGP SIGNED MESSAGE header)")
    with tempfile.TemporaryDirectory(prefix="hardbake-gpgv-") as t:
        tmp = Path(t)
        kr = _keyring_file(keyring, tmp)
        signed = tmp / "InRelease"
        signed.write_bytes(data)
        out = tmp / "content"
        stderr, status = _run(
            [_gpgv(), "--status-fd", "1", "--keyring", str(kr), "--output", str(out), str(signed)], what
        )
        fprs = _evaluate(status, what, stderr)
        return Verified(out.read_bytes(), fprs)


def verify_detached(data: bytes, signature: bytes, keyring: Path, what: str) -> Verified:
    """Verify `Release` against `Release.gpg`."""
    with tempfile.TemporaryDirectory(prefix="hardbake-gpgv-") as t:
        tmp = Path(t)
        kr = _keyring_file(keyring, tmp)
        (tmp / "Release").write_bytes(data)
        (tmp / "Release.gpg").write_bytes(signature)
        stderr, status = _run(
            [
                _gpgv(),
                "--status-fd",
                "1",
                "--keyring",
                str(kr),
                str(tmp / "Release.gpg"),
                str(tmp / "Release"),
            ],
            what,
        )
        return Verified(data, _evaluate(status, what, stderr))
