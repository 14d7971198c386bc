"""The live archive, through the machine's own mirror: real closures, checked by dose-distcheck."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hardbake.debian.client import DebianClient, http_client
from hardbake.debian.lock import ArchLock
from hardbake.debian.sources import default_mirrors

pytestmark = pytest.mark.online

CASES = [
    ("bookworm", "python3"),
    ("bookworm", "nodejs"),
    ("bookworm", "nginx"),
    ("bookworm", "postgresql"),
    ("bookworm", "openjdk-17-jre-headless"),
    ("trixie", "python3"),
    ("trixie", "nodejs"),
    ("trixie", "nginx"),
    ("trixie", "postgresql"),
    ("trixie", "openjdk-21-jre-headless"),
]


@pytest.fixture(scope="session")
def live_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live-cache")


def _client(cache: Path) -> DebianClient:
    return DebianClient(mirrors=default_mirrors({}), cache_root=cache, http=http_client())


def _distcheck(client: DebianClient, lock: ArchLock, suite: str, tmp: Path) -> str:
    u = client.universe([suite], lock.arch)
    wanted = {(p.name, p.version) for p in lock.packages}
    stanzas = []
    for idx in u.indices:
        for name, version in sorted(wanted):
            for i in idx.by_name.get(name, ()):
                if str(idx.record(i).version) == version and idx.record(i).suite == lock.package(name).suite:  # type: ignore[union-attr]
                    stanzas.append(idx.raw(i).decode())
    assert len(stanzas) == len(lock.packages)
    f = tmp / "closure"
    f.write_text("\n\n".join(stanzas) + "\n")
    r = subprocess.run(
        ["dose-distcheck", "-f", "-e", f"--deb-native-arch={lock.arch}", f"deb://{f}"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "broken-packages: 0" in r.stdout, r.stdout[-3000:]
    sel = ",".join(f"{p.name}:{lock.arch if p.arch == 'all' else p.arch}" for p in lock.packages)
    r = subprocess.run(
        ["dose-distcheck", f"--deb-native-arch={lock.arch}", f"--coinst={sel}", f"deb://{f}"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "broken-tuples: 0" in r.stdout, r.stdout[-3000:] + r.stderr[-2000:]
    return r.stdout


@pytest.mark.parametrize(("suite", "package"), CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_live_closure_is_installable(suite: str, package: str, live_cache: Path, tmp_path: Path) -> None:
    client = _client(live_cache)
    lock = client.lock([package], [suite], "amd64")
    names = {p.name for p in lock.packages}
    assert package in names
    assert all(p.suite.startswith(suite) for p in lock.packages)
    assert "recommends-never" not in names
    # security > updates > release: nothing older than the newest available version
    u = client.universe([suite], "amd64")
    for p in lock.packages:
        assert str(u.named(p.name)[0].version) == p.version
    _distcheck(client, lock, suite, tmp_path)


def test_live_runtime_drops(live_cache: Path) -> None:
    """The drops runtime images use: ca-certificates without openssl and debconf."""
    client = _client(live_cache)
    lock = client.lock(
        ["ca-certificates"],
        ["trixie"],
        "amd64",
        {"openssl": "no CLI in runtime images", "debconf": "no maintainer scripts"},
    )
    names = {p.name for p in lock.packages}
    assert names == {"ca-certificates"}
    assert {c.dropped for c in lock.cuts} == {"openssl", "debconf"}


def test_live_fetch_verifies(live_cache: Path) -> None:
    client = _client(live_cache)
    lock = client.lock(["zlib1g"], ["bookworm"], "arm64")
    res = client.fetch(lock.packages)
    assert len(res.fetched) + len(res.cached) == len(lock.packages)
    assert all(client.cache.has(p) for p in lock.packages)
