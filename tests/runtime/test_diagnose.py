from __future__ import annotations

import time
from typing import Any

import pytest

from hardbake.errors import InputError
from hardbake.runtime.diagnose import diagnose

pytestmark = pytest.mark.docker


def test_an_oom_killed_container_is_explained(docker_engine: Any, hbtest: Any, containers: Any) -> None:
    hog = containers(hbtest.tag, ["memhog", "8", "10"], mem_limit="64m", memswap_limit="64m", pids_limit=20)
    assert hog.wait(timeout=60)["StatusCode"] == 137
    d = diagnose(docker_engine, hog.name, log_lines=3)
    assert d.oom_killed and d.exit_code == 137 and d.status == "exited"
    assert d.exit_meaning is not None and "OOM killer" in d.exit_meaning
    assert "OOM-killed at its 64.0MiB memory limit" in d.next_steps[0] and "--set memory" in d.next_steps[0]
    assert "80m" in d.next_steps[0]  # 64m + 25%
    assert len(d.log_tail) == 3 and all(line.startswith("allocated") for line in d.log_tail)
    rows = {r.name: r for r in d.limits}
    assert rows["swap"].status == "ok" and rows["pids"].configured == "20"
    assert d.processes == ()  # nothing runs in a dead container


def test_a_hardened_running_container_needs_nothing(docker_engine: Any, hbtest: Any, containers: Any) -> None:
    c = containers(
        hbtest.tag,
        ["sleep", "60"],
        mem_limit="256m",
        memswap_limit="256m",
        nano_cpus=250_000_000,
        pids_limit=50,
        read_only=True,
        tmpfs={"/tmp": "size=50m,noexec,nosuid,nodev"},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges:true"],
    )
    d = diagnose(docker_engine, c.name, log_lines=0)
    assert d.status == "running" and d.exit_code is None and d.log_tail == ()
    assert [p["CMD"] for p in d.processes] == ["/usr/local/bin/hbtest sleep 60"]
    assert d.processes[0]["UID"] in ("65532", "nonroot")
    rows = {r.name: r for r in d.limits}
    assert rows["memory"].status == "ok" and "%" in rows["memory"].observed
    assert rows["pids"].observed.isdigit() and rows["read-only root"].status == "ok"
    assert d.next_steps == ("nothing to fix: the container is within its limits and hardened",)
    assert d.sample is not None and d.sample["pids_limit"] == 50


def test_an_unlimited_root_container_gets_concrete_steps(
    docker_engine: Any, hbtest: Any, containers: Any
) -> None:
    c = containers(hbtest.tag, ["sleep", "60"], user="0")
    steps = " | ".join(diagnose(docker_engine, c.name, log_lines=0).next_steps)
    for expected in (
        "no memory limit",
        "no CPU limit",
        "no pids limit",
        "runs as root",
        "root filesystem is writable",
    ):
        assert expected in steps


def test_a_missing_container_is_an_input_error(docker_engine: Any) -> None:
    with pytest.raises(InputError, match="no container"):
        diagnose(docker_engine, "hbt-nothing-here")


def test_cpu_throttling_is_reported(docker_engine: Any, hbtest: Any, containers: Any) -> None:
    hog = containers(hbtest.tag, ["cpuhog", "1", "60", "0", "1"], nano_cpus=100_000_000)
    time.sleep(6)  # 60 CFS periods of 100 ms, nearly all throttled at a 0.1 CPU quota
    d = diagnose(docker_engine, hog.name, log_lines=0)
    assert {r.name: r for r in d.limits}["cpus"].configured == "0.1"
    assert any(s.startswith("CPU was throttled in") and "raise --cpus above 0.1" in s for s in d.next_steps)
