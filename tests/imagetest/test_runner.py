"""The test runner against the real engine, with the shell-less hbtest image: probes, client
commands on the host, graceful stops, run-wide volumes, and the ways a step must fail."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from hardbake.errors import InputError, ToolMissing
from hardbake.imagetest.runner import run_all
from hardbake.spec.model import ImageSpec
from hardbake.testing.goimage import hbtest_image

pytestmark = [pytest.mark.docker]


@pytest.fixture(scope="module")
def image(docker_engine: Any) -> str:
    return hbtest_image(docker_engine).tag


def spec(*steps: dict[str, Any]) -> ImageSpec:
    return ImageSpec.model_validate({"name": "hbtest", "distro": "debian-12", "tests": list(steps)})


SERVER = {"network": "host", "args": ["httpd", "127.0.0.1:{port}"], "exit-code": None, "timeout": 30}


def test_probes_clients_and_a_graceful_stop(docker_engine: Any, image: str, tmp_path: Path) -> None:
    step = {
        **SERVER,
        "name": "serves",
        "probe": [
            {"kind": "command", "args": ["curl", "-sf", "http://127.0.0.1:{port}/healthz"]},
            {"kind": "http", "path": "/healthz", "body": "^ok$"},
            {"kind": "tcp"},
        ],
        "client": [
            {"args": ["curl", "-s", "http://127.0.0.1:{port}/"], "output": "hbtest"},
            {"args": ["curl", "-sf", "http://127.0.0.1:1/"], "exit-code": 7},
        ],
        "stop": "graceful",
        "output": "listening on 127.0.0.1:\\d+",
    }
    [r] = run_all(docker_engine, image, spec(step), tmp_path)
    assert r.passed, r.detail
    assert "2 client command(s) matched" in r.detail and "tcp 127.0.0.1" in r.detail
    # a graceful stop records how the server ended (Go's default SIGTERM handling: killed)
    assert r.exit_code is not None
    assert "$ curl -s http://127.0.0.1:" in r.output


def test_a_client_that_does_not_match_fails_the_step(docker_engine: Any, image: str, tmp_path: Path) -> None:
    step = {
        **SERVER,
        "name": "wrong answer",
        "probe": {"kind": "http", "path": "/healthz"},
        "client": [
            {"args": ["curl", "-s", "http://127.0.0.1:{port}/"], "output": "not-what-it-says"},
            {"args": ["curl", "-s", "http://127.0.0.1:{port}/"]},
        ],
    }
    [r] = run_all(docker_engine, image, spec(step), tmp_path)
    assert not r.passed
    assert "client `curl` output does not match 'not-what-it-says'" in r.detail
    assert r.output.count("$ curl") == 1  # stops at the first mismatch


def test_a_server_that_dies_fails_fast(docker_engine: Any, image: str, tmp_path: Path) -> None:
    step = {**SERVER, "name": "dies", "args": ["exit", "3"], "timeout": 60, "probe": {"kind": "tcp"}}
    t0 = time.monotonic()
    [r] = run_all(docker_engine, image, spec(step), tmp_path)
    assert not r.passed and "exited (3) before answering" in r.detail
    assert time.monotonic() - t0 < 20


def test_a_missing_client_program_is_an_environment_error(
    docker_engine: Any, image: str, tmp_path: Path
) -> None:
    step = {**SERVER, "name": "no tool", "client": [{"args": ["hardbake-no-such-client"]}]}
    with pytest.raises(ToolMissing, match="hardbake-no-such-client"):
        run_all(docker_engine, image, spec(step), tmp_path)


def test_named_volumes_are_shared_by_the_run_and_removed_after(
    docker_engine: Any, image: str, tmp_path: Path
) -> None:
    listing = {
        "args": ["docker", "volume", "ls", "-q", "--filter", "label=dev.hardbake.test"],
        "output": "hardbake-test-[0-9a-f]{8}-state",
    }
    first = {**SERVER, "name": "one", "volumes": ["state:/srv/state"], "client": [listing]}
    second = {**SERVER, "name": "two", "volumes": ["state:/srv/state"], "client": [listing]}
    r1, r2 = run_all(docker_engine, image, spec(first, second), tmp_path)
    assert r1.passed and r2.passed, (r1.detail, r2.detail)
    names = {m for r in (r1, r2) for m in re.findall(r"hardbake-test-[0-9a-f]{8}-state", r.output)}
    # both steps saw the run's volume; another worker's run has another id
    mine = (
        names
        & set(re.findall(r"hardbake-test-[0-9a-f]{8}-state", r1.output))
        & set(re.findall(r"hardbake-test-[0-9a-f]{8}-state", r2.output))
    )
    assert mine
    for name in mine:
        with pytest.raises(docker.errors.NotFound):
            docker_engine.volumes.get(name)


def test_files_at_absolute_paths_get_the_port(docker_engine: Any, image: str, tmp_path: Path) -> None:
    step = {
        "name": "files",
        "args": ["fscheck"],
        "files": {"/etc/hardbake-port.conf": "listen {port}\n", "plain.txt": "x"},
        "output": "tmp_write",
    }
    [r] = run_all(docker_engine, image, spec(step), tmp_path)
    assert r.passed, r.detail


def test_a_step_in_another_variant_needs_that_image(docker_engine: Any, image: str, tmp_path: Path) -> None:
    step = {"name": "dev only", "variant": "dev", "args": ["true"]}
    with pytest.raises(InputError, match="runs the dev variant"):
        run_all(docker_engine, image, spec(step), tmp_path)
    [r] = run_all(docker_engine, image, spec(step), tmp_path, variant_images={"dev": image})
    assert r.passed, r.detail


def test_a_command_probe_waits_for_its_output(docker_engine: Any, image: str, tmp_path: Path) -> None:
    """An answer that exits 0 but says "not yet" (redis-cli's LOADING) is not ready."""
    curl = ["curl", "-s", "http://127.0.0.1:{port}/"]
    ok = {**SERVER, "name": "ready", "probe": {"kind": "command", "args": curl, "body": "hbtest"}}
    never = {
        **SERVER,
        "name": "never",
        "timeout": 4,
        "probe": {"kind": "command", "args": curl, "body": "PONG"},
    }
    r1, r2 = run_all(docker_engine, image, spec(ok, never), tmp_path)
    assert r1.passed, r1.detail
    assert not r2.passed and "probe failed" in r2.detail and "hbtest" in r2.detail
