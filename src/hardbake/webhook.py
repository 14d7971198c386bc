"""What every webhook sender of hardbake shares: the URL check, the client, one classified POST.

The runtime monitor's background sender (`hardbake.runtime.webhook`) and the SLA alert sink
(`hardbake.watch.alerts`) differ in when they retry and for how long; what one attempt is, and
which answers are worth another, is the same for both and lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from hardbake import __version__
from hardbake.errors import InputError


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"webhook URL {url!r} must be http:// or https:// with a host")
    return url


def client(timeout: float, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client that says who it is and never follows a redirect elsewhere."""
    return httpx.Client(
        timeout=timeout,
        transport=transport,
        headers={"User-Agent": f"hardbake/{__version__}", "Content-Type": "application/json"},
        follow_redirects=False,
    )


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    error: str | None = None
    retry: bool = False  # worth another attempt: a connection error, a timeout, 429 or 5xx


def post(http: httpx.Client, url: str, payload: Mapping[str, Any], timeout: float) -> Attempt:
    """One POST of `payload` as JSON; other 4xx answers are final."""
    try:
        r = http.post(url, json=dict(payload), timeout=timeout)
    except httpx.HTTPError as e:
        return Attempt(False, f"{type(e).__name__}: {e}", retry=True)
    if r.is_success:
        return Attempt(True)
    return Attempt(False, f"HTTP {r.status_code}", retry=r.status_code == 429 or r.status_code >= 500)
