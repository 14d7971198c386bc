"""arm64 smoke tests of every server image, under qemu-user-static (scripts/docker-up enables
binfmt): each arm64 runtime image runs its server's version command, hardened, and one arm64
server answers a client on the host. Kept short on purpose (emulation is slow); the full
scenarios on arm64 run with scripts/catalog-servers-matrix."""

from __future__ import annotations

import re
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.imagetest.runner import free_port
from hardbake.spec import catalog

pytestmark = [pytest.mark.online, pytest.mark.docker, pytest.mark.slow]
runner = CliRunner()

SERVER_FAMILIES = ("nginx", "httpd", "postgres", "mariadb", "redis")
RUNTIME = sorted(e.name for e in catalog.entries() if e.family in SERVER_FAMILIES and e.variant == "runtime")
VERSION = {
    "nginx": (["nginx", "-v"], r"nginx version: nginx/1\."),
    "httpd": (["httpd", "-v"], r"Server version: Apache/2\.4"),
    "postgres": (["postgres", "--version"], r"postgres \(PostgreSQL\) 1[57]\."),
    "mariadb": (["mariadbd", "--version"], r"Ver 1[01]\.\d+.*aarch64"),
    "redis": (["redis-server", "--version"], r"Redis server v=[78]\."),
}
HARDENED = ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-arm64-cache")


def build_arm64(name: str, monkeypatch: pytest.MonkeyPatch, cache: Path) -> str:
    monkeypatch.setenv("HARDBAKE_CACHE", str(cache))
    family, _, tag = name.partition(":")
    ref = f"hardbake-arm64/{family}:{tag}"
    r = runner.invoke(
        app, ["build", name, "--arch", "arm64", "--platform", "linux/arm64", "-o", f"docker-daemon:{ref}"]
    )
    assert r.exit_code == 0, r.output
    return ref


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("name", RUNTIME)
def test_arm64_image_runs_its_server_binary(
    name: str, cache: Path, monkeypatch: pytest.MonkeyPatch, docker_engine: Any
) -> None:
    ref = build_arm64(name, monkeypatch, cache)
    assert docker_engine.images.get(ref).attrs["Architecture"] == "arm64"
    cmd, expected = VERSION[name.split(":")[0]]
    p = docker("run", "--rm", "--platform", "linux/arm64", "--network", "none", *HARDENED, ref, *cmd)
    assert p.returncode == 0, p.stderr
    assert re.search(expected, p.stdout + p.stderr), p.stdout + p.stderr


def test_an_arm64_server_answers_a_client_on_the_host(
    cache: Path, monkeypatch: pytest.MonkeyPatch, docker_engine: Any
) -> None:
    ref = build_arm64("redis:debian13", monkeypatch, cache)
    port = free_port()
    name = f"hardbake-arm64-redis-{secrets.token_hex(4)}"
    args = ["redis-server", "/etc/redis/redis.conf", "--port", str(port), "--bind", "127.0.0.1"]
    p = docker(
        "run", "-d", "--name", name, "--platform", "linux/arm64", "--network", "host", *HARDENED, ref, *args
    )
    assert p.returncode == 0, p.stderr
    try:
        cli = ["redis-cli", "-p", str(port)]
        deadline = time.monotonic() + 60
        while subprocess.run([*cli, "ping"], capture_output=True, text=True).stdout.strip() != "PONG":
            assert time.monotonic() < deadline, docker("logs", name).stderr
            time.sleep(0.5)
        assert (
            subprocess.run([*cli, "set", "k", "arm64"], capture_output=True, text=True).stdout.strip() == "OK"
        )
        assert subprocess.run([*cli, "get", "k"], capture_output=True, text=True).stdout.strip() == "arm64"
        info = subprocess.run([*cli, "info", "server"], capture_output=True, text=True).stdout
        assert "arch_bits:64" in info and "aarch64" in info
    finally:
        docker("rm", "-f", "-v", name)
