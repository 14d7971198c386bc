"""The chain of trust: every way of breaking it is refused, and nothing enters the cache."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest

from hardbake.debian.client import DebianClient, http_client
from hardbake.debian.sources import Mirrors
from hardbake.errors import InputError, IntegrityError, NetworkError
from hardbake.testing.aptrepo import RepoSite, SigningKey, expired
from hardbake.testing.debs import DebSpec


def _cache_files(cache: Path) -> list[str]:
    return (
        sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()) if cache.exists() else []
    )


def _indices_and_debs(cache: Path) -> list[str]:
    """Cached .debs and cached indices that hold any package (empty suites don't count)."""
    out = []
    for f in _cache_files(cache):
        if f.startswith("debs/") or (
            f.startswith("indices/") and not f.endswith(".idx") and b"Package:" in (cache / f).read_bytes()
        ):
            out.append(f)
    return out


def test_good_repository_resolves_and_fetches(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("hello", depends="libhello"), DebSpec("libhello"))
    site.repo.publish("trixie")
    c = site.client()
    lock = c.lock(["hello"], ["trixie"], "amd64")
    result = c.fetch(lock.packages)
    assert len(result.fetched) == 2
    for p in lock.packages:
        assert c.cache.path(p).read_bytes()[:8] == b"!<arch>\n"
    # a second fetch downloads nothing
    assert c.fetch(lock.packages).fetched == ()


def test_detached_signature_is_accepted(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("hello"))
    site.repo.publish("trixie", sign="detached")
    assert [p.name for p in site.client().lock(["hello"], ["trixie"], "amd64").packages] == ["hello"]


def test_signature_by_another_key_is_refused(site: RepoSite, other_key: SigningKey) -> None:
    site.repo.add("trixie", DebSpec("hello"))
    site.repo.publish("trixie", signer=other_key)
    with pytest.raises(IntegrityError) as e:
        site.client().lock(["hello"], ["trixie"], "amd64")
    assert "dists/trixie/InRelease" in e.value.message and "no valid signature" in e.value.message
    assert _indices_and_debs(site.cache) == []
    assert not list((site.cache / "dists").glob("trixie-????????????????/InRelease"))


def test_altered_inrelease_is_refused(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("hello"))
    dist = site.repo.publish("trixie")
    text = (dist / "InRelease").read_bytes()
    (dist / "InRelease").write_bytes(text.replace(b"Label: hardbake-tests", b"Label: hardbake-evil!"))
    with pytest.raises(IntegrityError) as e:
        site.client().lock(["hello"], ["trixie"], "amd64")
    assert "BAD signature" in e.value.message and "InRelease" in e.value.message


def test_unsigned_release_is_refused(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("hello"))
    site.repo.publish("trixie", sign="none")
    with pytest.raises(IntegrityError) as e:
        site.client().lock(["hello"], ["trixie"], "amd64")
    assert "unsigned repository" in e.value.message and "dists/trixie/Release" in e.value.message


def test_packages_hash_mismatch_is_refused(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("hello"))
    dist = site.repo.publish("trixie")
    gz = dist / "main" / "binary-amd64" / "Packages.gz"
    evil = gzip.decompress(gz.read_bytes()).replace(b"Package: hello", b"Package: hellO")
    gz.write_bytes(gzip.compress(evil, mtime=0))
    with pytest.raises(IntegrityError) as e:
        site.client().lock(["hello"], ["trixie"], "amd64")
    assert "main/binary-amd64/Packages.gz" in e.value.message and "expected sha256" in e.value.message
    assert _indices_and_debs(site.cache) == []


def test_expired_valid_until_is_refused(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("hello"))
    site.repo.publish("trixie", valid_until=expired())
    with pytest.raises(IntegrityError) as e:
        site.client().lock(["hello"], ["trixie"], "amd64")
    assert "Valid-Until" in e.value.message and "expired" in e.value.message


@pytest.mark.parametrize("damage", ["truncate", "alter"])
def test_damaged_deb_is_refused_and_not_cached(site: RepoSite, damage: str) -> None:
    site.repo.add("trixie", DebSpec("hello", files={}))
    site.repo.publish("trixie")
    c = site.client()
    lock = c.lock(["hello"], ["trixie"], "amd64")
    deb = site.repo.root / lock.packages[0].filename
    data = deb.read_bytes()
    deb.write_bytes(data[: len(data) // 2] if damage == "truncate" else data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(IntegrityError) as e:
        c.fetch(lock.packages)
    assert lock.packages[0].deb_name in e.value.message and lock.packages[0].sha256 in e.value.message
    assert [f for f in _cache_files(site.cache) if f.startswith("debs/")] == []


def test_offline_uses_only_the_cache_and_names_missing_files(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("hello", depends="libhello"), DebSpec("libhello"))
    site.repo.publish("trixie")
    online = site.client()
    lock = online.lock(["hello"], ["trixie"], "amd64")
    online.fetch([lock.packages[0]])  # only one of the two
    offline = site.client(offline=True)
    assert offline.lock(["hello"], ["trixie"], "amd64").to_json() == lock.to_json()
    with pytest.raises(InputError) as e:
        offline.fetch(lock.packages)
    missing = [p for p in lock.packages if not online.cache.has(p)]
    assert [p.name for p in missing] == ["libhello"]
    assert "1 package(s)" in e.value.message and "libhello=1.0-1 (libhello_1.0-1_amd64.deb" in e.value.message
    assert "(hello_1.0-1_amd64.deb" not in e.value.message


def test_offline_without_cache_says_what_to_do(site: RepoSite) -> None:
    with pytest.raises(InputError) as e:
        site.client(offline=True).lock(["hello"], ["trixie"], "amd64")
    assert "offline" in e.value.message and e.value.hint and "online" in e.value.hint


def test_partial_download_is_resumed(site: RepoSite) -> None:
    blob = bytes(range(256)) * 4096  # 1 MiB of payload
    site.repo.add("trixie", DebSpec("big", files={"/usr/share/big/blob": _file(blob)}))
    site.repo.publish("trixie")
    c = site.client()
    lock = c.lock(["big"], ["trixie"], "amd64")
    pkg = lock.packages[0]
    deb = (site.repo.root / pkg.filename).read_bytes()
    part = c.cache.path(pkg).with_name(pkg.sha256 + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(deb[: len(deb) // 2])
    seen: list[int] = []

    class Count:
        def start(self, total: int, count: int) -> None: ...
        def advance(self, n: int) -> None:
            seen.append(n)

        def finished(self, p: object) -> None: ...

    c.fetch(lock.packages, Count())  # type: ignore[arg-type]
    assert c.cache.path(pkg).read_bytes() == deb
    assert sum(seen) == len(deb) - len(deb) // 2  # only the second half travelled


def _file(data: bytes):  # type: ignore[no-untyped-def]
    from hardbake.testing.debs import File

    return File(data)


class _FlakyTransport(httpx.BaseTransport):
    """The network edge: the first N requests fail to connect, then the real transport answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.failures > 0:
            self.failures -= 1
            raise httpx.ConnectError("injected failure", request=request)
        return self.real.handle_request(request)


def test_retries_with_backoff_then_succeeds(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("hello"))
    site.repo.publish("trixie")
    client = DebianClient(
        mirrors=Mirrors(f"{site.url}/debian", f"{site.url}/debian-security", site.repo.key.keyring),
        cache_root=site.cache,
        http=httpx.Client(transport=_FlakyTransport(3)),
        max_age=0,
    )
    client.downloader.sleep = lambda s: None  # type: ignore[union-attr]
    assert [p.name for p in client.lock(["hello"], ["trixie"], "amd64").packages] == ["hello"]


def test_gives_up_after_bounded_retries(site: RepoSite) -> None:
    client = DebianClient(
        mirrors=Mirrors(f"{site.url}/debian", f"{site.url}/debian-security", site.repo.key.keyring),
        cache_root=site.cache,
        http=httpx.Client(transport=_FlakyTransport(100)),
        max_age=0,
    )
    client.downloader.sleep = lambda s: None  # type: ignore[union-attr]
    with pytest.raises(NetworkError) as e:
        client.lock(["hello"], ["trixie"], "amd64")
    assert "after 5 attempts" in e.value.message


def test_unknown_suite_is_an_input_error(site: RepoSite) -> None:
    with pytest.raises(InputError) as e:
        site.client().lock(["hello"], ["forky"], "amd64")
    assert "forky" in e.value.message


def test_real_client_default_is_http_client() -> None:
    assert isinstance(http_client(), httpx.Client)
