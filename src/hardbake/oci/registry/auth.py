"""Registry credentials and the distribution auth flows (anonymous, Basic, Bearer tokens).

Credentials come, in this order, from explicit flags, the environment
(`HARDBAKE_REGISTRY_USERNAME` / `HARDBAKE_REGISTRY_PASSWORD`) or the Docker config file
(`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, its `auths` map with the
base64 `auth` field). Credential helpers (`credsStore`, `credHelpers`) run external
programs; hardbake does not run them and says so when they are the only source.

The Bearer flow is the one of the Docker token spec: a 401 carries
`WWW-Authenticate: Bearer realm=...,service=...,scope=...`; the client GETs the realm with
`service` and `scope` (and Basic credentials if it has any) and retries with the token.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hardbake.errors import InputError

ENV_USER = "HARDBAKE_REGISTRY_USERNAME"
ENV_PASSWORD = "HARDBAKE_REGISTRY_PASSWORD"  # noqa: S105 - the name of a variable, not a secret


@dataclass(frozen=True)
class Credentials:
    """A username and password (or identity token) for one registry. Never printed."""

    username: str
    password: str = field(repr=False)

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Challenge:
    """One parsed `WWW-Authenticate` challenge."""

    scheme: str  # lower-case: "basic" or "bearer"
    params: Mapping[str, str]

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")


_PARAM_RE = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')


def parse_challenge(header: str) -> Challenge:
    """Parse `Bearer realm="...",service="...",scope="..."` (RFC 7235 auth-params)."""
    header = header.strip()
    scheme, _, rest = header.partition(" ")
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        m = _PARAM_RE.match(rest, pos)
        if not m or m.end() == pos:
            break
        value = m.group(2) if m.group(2) is not None else m.group(3)
        params[m.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
        pos = m.end()
    return Challenge(scheme.lower(), params)


def _docker_config_path(env: Mapping[str, str]) -> Path:
    base = env.get("DOCKER_CONFIG")
    if base:
        return Path(base) / "config.json"
    return Path(env.get("HOME", str(Path.home()))) / ".docker" / "config.json"


def _registry_keys(registry: str) -> tuple[str, ...]:
    """The spellings a Docker config may use for one registry host."""
    keys = [registry, f"https://{registry}", f"http://{registry}", f"https://{registry}/v1/"]
    if registry == "docker.io":
        keys += ["https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io"]
    return tuple(keys)


@dataclass(frozen=True)
class CredentialSource:
    """What was found for one registry: credentials, or the name of a helper not run."""

    credentials: Credentials | None = None
    unsupported_helper: str | None = None

    def missing_hint(self, registry: str) -> str:
        if self.unsupported_helper:
            return (
                f"the Docker config keeps credentials for {registry} in the credential helper "
                f"'docker-credential-{self.unsupported_helper}', which hardbake does not run; pass "
                f"--username/--password (or {ENV_USER}/{ENV_PASSWORD}), or add an 'auths' entry"
            )
        return f"pass --username/--password, set {ENV_USER}/{ENV_PASSWORD}, or run `docker login {registry}`"


def from_docker_config(registry: str, path: Path) -> CredentialSource:
    """Credentials for `registry` from a Docker config file (empty source if it has none).

    Raises InputError if the file is malformed. A credential helper is recorded, not run.
    """
    if not path.is_file():
        return CredentialSource()
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read Docker config {path}: {e}") from e
    if not isinstance(doc, dict):
        raise InputError(f"Docker config {path}: expected a JSON object")
    auths = doc.get("auths") or {}
    for key in _registry_keys(registry):
        entry = auths.get(key)
        if not isinstance(entry, dict):
            continue
        if entry.get("identitytoken"):
            return CredentialSource(Credentials("<token>", str(entry["identitytoken"])))
        if entry.get("auth"):
            try:
                raw = base64.b64decode(str(entry["auth"]), validate=True).decode()
            except (ValueError, UnicodeDecodeError) as e:
                raise InputError(
                    f"Docker config {path}: auths[{key!r}].auth is not base64 user:password"
                ) from e
            user, sep, password = raw.partition(":")
            if not sep:
                raise InputError(
                    f"Docker config {path}: auths[{key!r}].auth does not decode to user:password"
                )
            return CredentialSource(Credentials(user, password))
        if entry.get("username") and entry.get("password"):
            return CredentialSource(Credentials(str(entry["username"]), str(entry["password"])))
    helpers = doc.get("credHelpers") or {}
    helper = next((helpers[k] for k in _registry_keys(registry) if k in helpers), None) or doc.get(
        "credsStore"
    )
    return CredentialSource(None, str(helper) if helper else None)


def resolve_credentials(
    registry: str,
    username: str | None = None,
    password: str | None = None,
    env: Mapping[str, str] | None = None,
) -> CredentialSource:
    """Credentials for `registry`: flags, then environment, then the Docker config file."""
    env = os.environ if env is None else env
    if username is not None or password is not None:
        if not username or password is None:
            raise InputError("registry credentials need both a username and a password")
        return CredentialSource(Credentials(username, password))
    if env.get(ENV_USER) and env.get(ENV_PASSWORD) is not None:
        return CredentialSource(Credentials(env[ENV_USER], env[ENV_PASSWORD]))
    return from_docker_config(registry, _docker_config_path(env))
