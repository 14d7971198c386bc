"""Fixtures for the policy tests: a self-signed TLS pair and a webhook served over real HTTPS."""

from __future__ import annotations

import datetime
import ipaddress
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hardbake.policy.check import build_policy
from hardbake.policy.config import PolicyConfig
from hardbake.policy.webhook import create_app
from hardbake.testing.net import free_port, wait_for_port


@dataclass(frozen=True)
class TlsPair:
    cert: Path
    key: Path


def make_tls_pair(directory: Path, dns: tuple[str, ...] = ("localhost", "hardbake-policy.hardbake-system.svc")) -> TlsPair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[0])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([*(x509.DNSName(d) for d in dns),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    c, k = directory / "tls.crt", directory / "tls.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    k.chmod(0o600)
    return TlsPair(c, k)


@pytest.fixture()
def tls_pair(tmp_path: Path) -> TlsPair:
    return make_tls_pair(tmp_path)


@dataclass(frozen=True)
class Served:
    url: str
    cert: Path


def serve_in_thread(app: object, pair: TlsPair) -> Iterator[Served]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ssl_certfile=str(pair.cert),  # type: ignore[arg-type]
                            ssl_keyfile=str(pair.key), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield Served(f"https://127.0.0.1:{port}", pair.cert)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture()
def webhook(tls_pair: TlsPair) -> Iterator[Served]:
    cfg = PolicyConfig.model_validate({"namespaces": {"dev-*": "dev"}})
    yield from serve_in_thread(create_app(build_policy(cfg)), tls_pair)
