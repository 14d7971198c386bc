"""HTTP to one registry: scheme policy, authentication on 401, bounded retries with backoff.

Everything above this module speaks in paths under `/v2/`; this module decides http or
https (plain HTTP only for loopback hosts unless `insecure=True`), answers auth challenges
(Basic, or a Bearer token fetched from the challenge's realm and cached per scope), and
retries 5xx, 429 and connection errors with exponential backoff, a bounded number of
times. Request bodies are bytes so that a retried request sends exactly the same thing.
The httpx client is passed in (tests hand in one whose transport injects faults).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from hardbake.errors import InputError, NetworkError
from hardbake.oci.registry.auth import Challenge, CredentialSource, parse_challenge

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class RegistryAuthError(InputError):
    """The registry refused our credentials, or wants some and we have none (exit 2)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: `base * 2**n` seconds, capped at `cap`, at most `attempts` tries."""

    attempts: int = 6
    base: float = 0.25
    cap: float = 4.0

    def delays(self) -> Iterator[float]:
        for n in range(self.attempts - 1):
            yield min(self.cap, self.base * (2**n))


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (with or without a port)."""
    name = host
    if name.startswith("["):
        name = name[1 : name.index("]")]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def scheme_for(registry: str, insecure: bool) -> str:
    """https, except plain http for loopback registries or when the user said --insecure."""
    return "http" if insecure or is_loopback(registry) else "https"


class Transport:
    """Authenticated, retrying HTTP to one registry host."""

    def __init__(
        self,
        registry: str,
        http: httpx.Client,
        credentials: CredentialSource | None = None,
        *,
        insecure: bool = False,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.registry = registry
        self.base_url = f"{scheme_for(registry, insecure)}://{registry}"
        self.http = http
        self.source = credentials or CredentialSource()
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self._tokens: dict[tuple[str, ...], str] = {}
        self._basic = False  # the registry asked for Basic once: send it up front from now on

    # -- auth -------------------------------------------------------------------------
    def _auth_header(self, scopes: tuple[str, ...]) -> dict[str, str]:
        token = self._tokens.get(scopes)
        if token:
            return {"Authorization": f"Bearer {token}"}
        if self._basic and self.source.credentials:
            return {"Authorization": self.source.credentials.basic_header()}
        return {}

    def _answer(self, challenge_header: str, scopes: tuple[str, ...]) -> None:
        challenge = parse_challenge(challenge_header)
        creds = self.source.credentials
        if challenge.scheme == "basic":
            if creds is None:
                raise RegistryAuthError(
                    f"registry {self.registry} requires a login", hint=self.source.missing_hint(self.registry)
                )
            if self._basic:
                raise RegistryAuthError(
                    f"registry {self.registry} refused the username/password for {creds.username!r}",
                    hint="check the credentials",
                )
            self._basic = True
            return
        if challenge.scheme == "bearer":
            self._tokens[scopes] = self._fetch_token(challenge, scopes)
            return
        raise RegistryAuthError(
            f"registry {self.registry} asks for unsupported auth scheme {challenge.scheme!r}",
            hint="hardbake supports Basic and Bearer (token) authentication",
        )

    def _fetch_token(self, challenge: Challenge, scopes: tuple[str, ...]) -> str:
        realm = challenge.realm
        if not realm:
            raise RegistryAuthError(f"registry {self.registry}: Bearer challenge without a realm")
        params: list[tuple[str, str]] = []
        if "service" in challenge.params:
            params.append(("service", challenge.params["service"]))
        wanted = list(scopes) or ([challenge.params["scope"]] if "scope" in challenge.params else [])
        params += [("scope", s) for s in wanted]
        headers = {}
        if self.source.credentials:
            headers["Authorization"] = self.source.credentials.basic_header()
        try:
            resp = self._send_with_retries("GET", realm, headers=headers, params=params)
        except httpx.InvalidURL as e:
            raise RegistryAuthError(f"registry {self.registry}: bad token realm {realm!r}") from e
        if resp.status_code in (401, 403):
            who = (
                f"user {self.source.credentials.username!r}"
                if self.source.credentials
                else "anonymous access"
            )
            raise RegistryAuthError(
                f"token server {realm} refused {who} for scope {' '.join(wanted) or '(none)'}: "
                f"HTTP {resp.status_code}",
                hint=self.source.missing_hint(self.registry),
            )
        if resp.status_code != 200:
            raise NetworkError(f"token server {realm} answered HTTP {resp.status_code}")
        try:
            body = resp.json()
            token = body.get("token") or body.get("access_token")
        except ValueError as e:
            raise NetworkError(f"token server {realm} answered non-JSON") from e
        if not isinstance(token, str) or not token:
            raise NetworkError(f"token server {realm} answered without a token")
        return token

    # -- sending ------------------------------------------------------------------------
    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path

    def _send_with_retries(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Sequence[tuple[str, str]] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        delays = self.retry.delays()
        while True:
            try:
                resp = self.http.request(
                    method,
                    url,
                    headers=headers,
                    params=list(params) if params else None,
                    content=content,
                    follow_redirects=True,
                )
            except httpx.TransportError as e:
                delay = next(delays, None)
                if delay is None:
                    raise NetworkError(
                        f"{method} {url}: {type(e).__name__}: {e} (after {self.retry.attempts} attempts)",
                        hint=f"is the registry {self.registry} up and reachable?",
                    ) from e
                self.sleep(delay)
                continue
            if resp.status_code in RETRY_STATUS:
                delay = next(delays, None)
                if delay is not None:
                    resp.close()
                    self.sleep(delay)
                    continue
            return resp

    def request(
        self,
        method: str,
        path: str,
        *,
        scopes: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
        params: Sequence[tuple[str, str]] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send with auth and retries; returns any final response (callers judge the status)."""
        url = self.url(path)
        refreshed = False
        for _ in range(5):  # anonymous or cached, answer a challenge, refresh a refused token once
            sent = self._auth_header(scopes)
            resp = self._send_with_retries(
                method,
                url,
                headers={**(headers or {}), **sent},
                params=params,
                content=content,
            )
            if resp.status_code != 401:
                return resp
            challenge = resp.headers.get("WWW-Authenticate")
            if not challenge:
                raise RegistryAuthError(
                    f"registry {self.registry}: HTTP 401 without a WWW-Authenticate challenge"
                )
            if self._auth_header(scopes) != sent:
                # another thread (parallel blob uploads) answered the challenge meanwhile
                resp.close()
                continue
            if scopes in self._tokens:  # a token we hold was refused (expired?): fetch once more
                self._tokens.pop(scopes, None)
                if refreshed:
                    raise RegistryAuthError(
                        f"registry {self.registry} refused a fresh token for {' '.join(scopes) or path}",
                        hint=self.source.missing_hint(self.registry),
                    )
                refreshed = True
            self._answer(challenge, scopes)
        raise RegistryAuthError(f"registry {self.registry}: authentication did not converge")

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        scopes: tuple[str, ...] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        """A streaming response (auth answered first with a HEAD-less retry of the request)."""
        url = self.url(path)
        for _ in range(3):
            sent = self._auth_header(scopes)
            req = self.http.build_request(method, url, headers={**(headers or {}), **sent})
            try:
                resp = self.http.send(req, stream=True, follow_redirects=True)
            except httpx.TransportError as e:
                raise NetworkError(f"{method} {url}: {type(e).__name__}: {e}") from e
            if resp.status_code == 401:
                challenge = resp.headers.get("WWW-Authenticate", "")
                resp.close()
                if self._auth_header(scopes) != sent:
                    continue  # another thread answered the challenge meanwhile
                if not challenge or scopes in self._tokens:
                    raise RegistryAuthError(f"registry {self.registry} refused access to {path}")
                self._answer(challenge, scopes)
                continue
            try:
                yield resp
            finally:
                resp.close()
            return
        raise RegistryAuthError(f"registry {self.registry}: authentication did not converge")
