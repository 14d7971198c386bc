"""How one operation reaches registries: credentials, `--insecure`, retries, chunk size, parallelism.

`RegistryAccess` pools one `RegistryClient` per registry over one HTTP connection pool; the
sources and sinks in this package take one and never make their own connections.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import httpx

from hardbake.oci.registry import CredentialSource, RegistryClient, RetryPolicy, resolve_credentials

_API_HOST = {"docker.io": "registry-1.docker.io"}
DEFAULT_CHUNK = 16 * 1024 * 1024


def api_host(registry: str) -> str:
    return _API_HOST.get(registry, registry)


class RegistryAccess:
    """How one operation reaches registries; pools a client per registry. Close it when done.

    `credentials` maps a registry name (as written in references: `docker.io`,
    `127.0.0.1:5000`) to what to log in with; other registries get `resolve_credentials`
    (environment, then `~/.docker/config.json`). `http://` is used for loopback registries,
    and for any other only with `insecure=True`.
    """

    def __init__(
        self,
        *,
        insecure: bool = False,
        credentials: Mapping[str, CredentialSource] | None = None,
        retry: RetryPolicy | None = None,
        chunk_size: int | None = DEFAULT_CHUNK,
        workers: int = 4,
        http: httpx.Client | None = None,
    ) -> None:
        self.insecure = insecure
        self.credentials = dict(credentials or {})
        self.retry = retry
        self.chunk_size = chunk_size
        self.workers = max(1, workers)
        self._owns_http = http is None
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(120.0, connect=10.0),
            headers={"User-Agent": "hardbake"},
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
        )
        self._clients: dict[str, RegistryClient] = {}
        self._lock = threading.Lock()

    def client(self, registry: str) -> RegistryClient:
        with self._lock:
            if registry not in self._clients:
                creds = self.credentials.get(registry) or resolve_credentials(registry)
                self._clients[registry] = RegistryClient(
                    api_host(registry),
                    self.http,
                    creds,
                    insecure=self.insecure,
                    retry=self.retry,
                    chunk_size=self.chunk_size,
                )
            return self._clients[registry]

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> RegistryAccess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
