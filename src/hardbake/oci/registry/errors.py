"""Turning registry HTTP answers into hardbake errors with the registry's own words."""

from __future__ import annotations

import httpx

from hardbake.errors import Error, InputError, NetworkError


class RegistryNotFound(InputError):
    """The registry has no such repository, manifest, tag or blob (exit 2)."""


class RegistryRefused(InputError):
    """The registry refused a request as malformed or not allowed (exit 2)."""


def _registry_words(resp: httpx.Response) -> str:
    """The `errors[].code: message` list of a distribution error body, or a short excerpt."""
    try:
        body = resp.json()
        errs = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errs, list) and errs:
            return "; ".join(
                f"{e.get('code', '?')}: {e.get('message', '')}" for e in errs if isinstance(e, dict)
            )
    except (ValueError, httpx.ResponseNotRead):
        pass
    try:
        text = resp.text.strip()
    except httpx.ResponseNotRead:
        return ""
    return text[:200]


def raise_for(resp: httpx.Response, what: str, expected: tuple[int, ...]) -> None:
    """Raise the hardbake error that fits `resp` unless its status is one of `expected`."""
    if resp.status_code in expected:
        return
    words = _registry_words(resp)
    detail = f"HTTP {resp.status_code}" + (f" ({words})" if words else "")
    err: Error
    if resp.status_code == 404:
        err = RegistryNotFound(f"{what}: not found: {detail}")
    elif resp.status_code == 403:
        err = RegistryRefused(
            f"{what}: access denied: {detail}", hint="check that the credentials may do this"
        )
    elif 400 <= resp.status_code < 500:
        err = RegistryRefused(f"{what}: refused: {detail}")
    else:
        err = NetworkError(f"{what}: registry failed: {detail}", hint="retried with backoff; try again later")
    raise err
