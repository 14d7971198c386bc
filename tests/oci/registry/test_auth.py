"""Credentials and auth flows: Docker config, Basic (htpasswd) and Bearer (token server)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import bcrypt
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from hardbake.oci.registry import (
    Credentials,
    CredentialSource,
    RegistryAuthError,
    RegistryClient,
    resolve_credentials,
)
from hardbake.oci.registry.auth import from_docker_config, parse_challenge
from hardbake.testing.net import free_port, wait_for_port
from hardbake.testing.registry import LocalRegistry, _spawn

# -- parsing and config -------------------------------------------------------------------


def test_parse_bearer_challenge() -> None:
    c = parse_challenge(
        'Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a/b:pull,push"'
    )
    assert c.scheme == "bearer"
    assert c.params == {
        "realm": "http://127.0.0.1:1/token",
        "service": "reg",
        "scope": "repository:a/b:pull,push",
    }
    assert parse_challenge('Basic realm="x"').scheme == "basic"
    assert parse_challenge('Bearer realm="a\\"b", error=insufficient_scope').params == {
        "realm": 'a"b',
        "error": "insufficient_scope",
    }


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True),
        st.text(st.characters(codec="ascii", exclude_characters='"\\\r\n'), max_size=30),
        max_size=5,
    )
)
def test_parse_challenge_roundtrips_quoted_params(params: dict[str, str]) -> None:
    header = "Bearer " + ",".join(f'{k}="{v}"' for k, v in params.items())
    assert dict(parse_challenge(header).params) == params


def _config(tmp_path: Path, doc: object) -> Path:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(doc))
    return p


def test_docker_config_auths(tmp_path: Path) -> None:
    auth = base64.b64encode(b"alice:s3:cret").decode()
    p = _config(tmp_path, {"auths": {"https://reg.example:5000": {"auth": auth}}})
    found = from_docker_config("reg.example:5000", p)
    assert found.credentials == Credentials("alice", "s3:cret")
    assert "s3:cret" not in repr(found)
    assert from_docker_config("other.example", p).credentials is None


def test_docker_config_helper_is_reported_not_run(tmp_path: Path) -> None:
    p = _config(tmp_path, {"auths": {}, "credsStore": "desktop"})
    found = from_docker_config("reg.example", p)
    assert found.credentials is None and found.unsupported_helper == "desktop"
    assert "docker-credential-desktop" in found.missing_hint("reg.example")


def test_resolve_precedence(tmp_path: Path) -> None:
    auth = base64.b64encode(b"cfg:cfgpw").decode()
    _config(tmp_path, {"auths": {"reg.example": {"auth": auth}}})
    env = {"DOCKER_CONFIG": str(tmp_path)}
    assert resolve_credentials("reg.example", env=env).credentials == Credentials("cfg", "cfgpw")
    env2 = {**env, "HARDBAKE_REGISTRY_USERNAME": "envu", "HARDBAKE_REGISTRY_PASSWORD": "envp"}
    assert resolve_credentials("reg.example", env=env2).credentials == Credentials("envu", "envp")
    assert resolve_credentials("reg.example", "flag", "fp", env=env2).credentials == Credentials("flag", "fp")


# -- a registry with htpasswd basic auth -------------------------------------------------


@pytest.fixture()
def basic_registry(tmp_path: Path) -> Iterator[LocalRegistry]:
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text("alice:" + bcrypt.hashpw(b"wonderland", bcrypt.gensalt(rounds=4)).decode() + "\n")
    yield from _registry_with(tmp_path, f"auth: {{htpasswd: {{realm: test, path: {htpasswd}}}}}\n")


def _registry_with(tmp_path: Path, extra: str) -> Iterator[LocalRegistry]:
    port = free_port()
    config = tmp_path / "reg.yml"
    config.write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp_path / 'data'}}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\n" + extra
    )
    reg = LocalRegistry(f"127.0.0.1:{port}", tmp_path, _spawn(config, tmp_path), config)
    try:
        wait_for_port(port)
        yield reg
    finally:
        reg.stop()


def test_basic_auth(basic_registry: LocalRegistry) -> None:
    with httpx.Client(timeout=30) as http:
        good = RegistryClient(basic_registry.host, http, CredentialSource(Credentials("alice", "wonderland")))
        good.ping()
        d = good.push_blob("team/app", b"hello")
        assert good.fetch_blob("team/app", d.digest) == b"hello"
        anonymous = RegistryClient(basic_registry.host, http, CredentialSource())
        with pytest.raises(RegistryAuthError, match="requires a login"):
            anonymous.ping()
        wrong = RegistryClient(basic_registry.host, http, CredentialSource(Credentials("alice", "nope")))
        with pytest.raises(RegistryAuthError, match="refused"):
            wrong.ping()


# -- a registry with token auth and a token server written here ---------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """Issues ES256 JWTs (x5c header) the way distribution's token auth expects them."""

    def __init__(self, tmp_path: Path) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hardbake test token issuer")])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.bundle = tmp_path / "token-ca.pem"
        self.bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.requests: list[dict[str, list[str]]] = []
        self.port = free_port()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                q = parse_qs(urlparse(self.path).query)
                server.requests.append(q)
                auth = self.headers.get("Authorization", "")
                if auth != "Basic " + base64.b64encode(b"bob:builder").decode():
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps(
                    {"token": server.issue(q.get("service", [""])[0], q.get("scope", []))}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def issue(self, service: str, scopes: list[str]) -> str:
        access = []
        for s in scopes:
            kind, name, actions = s.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]}
        now = int(time.time())
        claims = {
            "iss": "test-issuer",
            "sub": "bob",
            "aud": service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": str(now),
            "access": access,
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def token_registry(tmp_path: Path) -> Iterator[tuple[LocalRegistry, TokenServer]]:
    ts = TokenServer(tmp_path)
    extra = (
        f"auth: {{token: {{realm: 'http://127.0.0.1:{ts.port}/token', service: test-registry, "
        f"issuer: test-issuer, rootcertbundle: {ts.bundle}}}}}\n"
    )
    try:
        for reg in _registry_with(tmp_path, extra):
            yield reg, ts
    finally:
        ts.close()


def test_bearer_token_flow(token_registry: tuple[LocalRegistry, TokenServer]) -> None:
    reg, ts = token_registry
    with httpx.Client(timeout=30) as http:
        c = RegistryClient(reg.host, http, CredentialSource(Credentials("bob", "builder")))
        d = c.push_blob("team/app", b"token-protected")
        assert c.fetch_blob("team/app", d.digest) == b"token-protected"
        scopes = [s for q in ts.requests for s in q.get("scope", [])]
        assert "repository:team/app:pull,push" in scopes and "repository:team/app:pull" in scopes
        assert all(q.get("service") == ["test-registry"] for q in ts.requests)
        # tokens are cached per scope: pushing again asks the token server nothing new
        before = len(ts.requests)
        c.push_blob("team/app", b"another")
        assert len(ts.requests) == before
        bad = RegistryClient(reg.host, http, CredentialSource(Credentials("bob", "wrong")))
        with pytest.raises(RegistryAuthError, match="refused user 'bob'"):
            bad.fetch_blob("team/app", d.digest)
