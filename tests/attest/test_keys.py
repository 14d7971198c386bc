"""Key files: cosign's encrypted format both ways, PEM inputs, permissions, wrong passwords."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hardbake.attest.keys import (
    SIGSTORE_PEM,
    KeyFileError,
    SigningKey,
    load_private_key,
    load_public_key,
    write_key_pair,
)
from hardbake.errors import InputError
from hardbake.testing.cosign import run_cosign

PASSWORD = b"correct horse battery staple"  # the conftest's key_password


def test_cosign_key_format(keydir: Path, key: SigningKey) -> None:
    text = (keydir / "cosign.key").read_text()
    assert text.startswith(f"-----BEGIN {SIGSTORE_PEM}-----\n")
    body = base64.b64decode("".join(text.splitlines()[1:-1]))
    doc = json.loads(body)
    assert doc["kdf"]["name"] == "scrypt" and doc["kdf"]["params"] == {"N": 32768, "r": 8, "p": 1}
    assert len(base64.b64decode(doc["kdf"]["salt"])) == 32
    assert doc["cipher"]["name"] == "nacl/secretbox" and len(base64.b64decode(doc["cipher"]["nonce"])) == 24
    assert stat.S_IMODE((keydir / "cosign.key").stat().st_mode) == 0o600
    loaded = load_private_key(text.encode(), PASSWORD)
    assert loaded.public.pem() == (keydir / "cosign.pub").read_bytes() == key.public.pem()
    assert "key=" not in repr(loaded).replace("key=<", "")  # the repr hides the key


def test_wrong_password(keydir: Path) -> None:
    with pytest.raises(KeyFileError, match="wrong password"):
        load_private_key((keydir / "cosign.key").read_bytes(), b"nope")
    with pytest.raises(KeyFileError, match="no password"):
        load_private_key((keydir / "cosign.key").read_bytes(), None)


def test_pem_inputs(key: SigningKey) -> None:
    k = key.key
    plain = k.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    enc = k.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    sec1 = k.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    for data, pw in ((plain, None), (enc, b"pw"), (sec1, None)):
        assert load_private_key(data, pw).public.pem() == key.public.pem()
    with pytest.raises(KeyFileError):
        load_private_key(enc, b"wrong")
    with pytest.raises(KeyFileError, match="no PEM"):
        load_private_key(b"garbage", None)
    rsa_like = ec.generate_private_key(ec.SECP256K1())
    bad = rsa_like.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyFileError, match="unsupported ECDSA curve"):
        load_private_key(bad, None)


def test_sign_verify_and_refuse_overwrite(tmp_path: Path, key: SigningKey, other_key: SigningKey) -> None:
    sig = key.sign(b"data")
    assert key.public.verify(sig, b"data")
    assert not key.public.verify(sig, b"datA")
    assert not other_key.public.verify(sig, b"data")
    write_key_pair(key, tmp_path, b"pw")
    with pytest.raises(InputError, match="already exists"):
        write_key_pair(key, tmp_path, b"pw")
    with pytest.raises(KeyFileError):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")


def test_cosign_uses_hardbake_key(cosign_bin: Path, keydir: Path, tmp_path: Path) -> None:
    blob = tmp_path / "blob"
    blob.write_bytes(b"signed by cosign with a hardbake key")
    r = run_cosign(
        "sign-blob",
        "--yes",
        "--tlog-upload=false",
        "--key",
        str(keydir / "cosign.key"),
        str(blob),
        home=tmp_path,
        password=PASSWORD,
    )
    assert r.returncode == 0, r.stderr
    sig = base64.b64decode(r.stdout.strip())
    assert load_public_key((keydir / "cosign.pub").read_bytes()).verify(sig, blob.read_bytes())


def test_hardbake_uses_cosign_key(cosign_bin: Path, tmp_path: Path) -> None:
    r = run_cosign(
        "generate-key-pair", "--output-key-prefix", str(tmp_path / "c"), home=tmp_path, password=PASSWORD
    )
    assert r.returncode == 0, r.stderr
    k = load_private_key((tmp_path / "c.key").read_bytes(), PASSWORD)
    blob = tmp_path / "blob"
    blob.write_bytes(b"signed by hardbake with a cosign key")
    (tmp_path / "blob.sig").write_text(base64.b64encode(k.sign(blob.read_bytes())).decode())
    r = run_cosign(
        "verify-blob",
        "--insecure-ignore-tlog=true",
        "--key",
        str(tmp_path / "c.pub"),
        "--signature",
        str(tmp_path / "blob.sig"),
        str(blob),
        home=tmp_path,
        password=PASSWORD,
    )
    assert r.returncode == 0, r.stderr
