"""The monitor against the real engine: OOM kills, CPU crossings, a contained fork bomb."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hardbake.errors import InputError
from hardbake.runtime.alerts import Alert, Thresholds
from hardbake.runtime.events import EngineEvent
from hardbake.runtime.monitor import Monitor, Tick

pytestmark = pytest.mark.docker

SRC = Path(__file__).resolve().parents[2] / "src"


def collect(records: list[Any]) -> Any:
    return records.append


def test_a_cpu_hog_alerts_exactly_once_per_crossing(docker_engine: Any, hbtest: Any, containers: Any) -> None:
    # Two busy phases of 4 s at 100% of a 0.5 CPU limit, with 4 s idle between: two crossings.
    hog = containers(hbtest.tag, ["cpuhog", "1", "4", "4", "2"], start=False, nano_cpus=500_000_000)
    records: list[Any] = []
    mon = Monitor(
        docker_engine,
        [hog.name],
        thresholds=Thresholds(cpu=50, memory=None, pids=None, hysteresis=40),
        interval=1,
    )
    hog.start()
    mon.run([collect(records)], duration=18)
    alerts = [r for r in records if isinstance(r, Alert)]
    assert [(a.metric, a.state) for a in alerts] == [
        ("cpu", "firing"),
        ("cpu", "resolved"),
        ("cpu", "firing"),
        ("cpu", "resolved"),
    ], [(a.state, round(a.value)) for a in alerts]
    seen = [s for r in records if isinstance(r, Tick) for s in r.samples if s.cpu_percent is not None]
    assert max(s.cpu_of_limit or 0 for s in seen) > 50
    # The threshold is on CPU % of the 0.5 CPU limit, i.e. twice what docker stats shows.
    assert all(s.cpu_limit == 0.5 and s.cpu_of_limit == pytest.approx(s.cpu_percent * 2) for s in seen)


def test_a_fork_bomb_stays_contained_at_the_pids_limit(
    docker_engine: Any, hbtest: Any, containers: Any
) -> None:
    bomb = containers(hbtest.tag, ["forkbomb"], pids_limit=50, mem_limit="256m", memswap_limit="256m")
    records: list[Any] = []
    Monitor(docker_engine, [bomb.name], interval=1).run([collect(records)], count=4)
    pids = [s for r in records if isinstance(r, Tick) for s in r.samples]
    assert pids and max(s.pids for s in pids) == 50 and pids[-1].pids_limit == 50
    assert any(isinstance(r, Alert) and r.metric == "pids" and r.state == "firing" for r in records)
    bomb.reload()
    assert bomb.status == "running"  # contained, not crashed
    assert b"fork refused" in bomb.logs()
    # The host still forks.
    assert subprocess.run(["true"], check=False).returncode == 0


def test_the_monitor_cli_reports_an_oom_kill_with_its_explanation(
    docker_engine: Any, hbtest: Any, containers: Any
) -> None:
    sleeper = containers(hbtest.tag, ["sleep", "60"])
    # 2 MiB every 150 ms: about 2.4 s between the 50% threshold and the OOM kill, so 1 s ticks see it.
    hog = containers(hbtest.tag, ["memhog", "2", "150"], start=False, mem_limit="64m", memswap_limit="64m")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hardbake.cli.main",
            "monitor",
            sleeper.name,
            hog.name,
            "--format",
            "jsonl",
            "--interval",
            "1",
            "--duration",
            "10",
            "--memory-threshold",
            "50",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the first tick: the monitor is subscribed
        assert json.loads(first)["name"] == sleeper.name
        hog.start()
        rest, errors = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, errors
    records = [json.loads(line) for line in (first + rest).splitlines()]
    events = [r for r in records if r["type"] == "event" and r["name"] == hog.name]
    assert [e["kind"] for e in events] == ["oom", "exit"], events
    assert events[1]["exit_code"] == 137 and events[1]["oom_killed"] is True
    assert "OOM killer" in events[1]["explanation"] and "memory limit" in events[1]["explanation"]
    memory = [r["memory_percent"] for r in records if r["type"] == "sample" and r["name"] == hog.name]
    assert memory and max(memory) > 50  # it was seen growing toward its limit
    assert any(r["type"] == "alert" and r["metric"] == "memory" for r in records)
    assert "events" in errors  # the summary line on stderr


def test_the_monitor_follows_restarts(docker_engine: Any, hbtest: Any, containers: Any) -> None:
    crashy = containers(
        hbtest.tag, ["exit", "3"], start=False, restart_policy={"Name": "on-failure", "MaximumRetryCount": 2}
    )
    records: list[Any] = []
    mon = Monitor(docker_engine, [crashy.name], interval=1)
    crashy.start()
    mon.run([collect(records)], duration=6)
    kinds = [r.kind for r in records if isinstance(r, EngineEvent)]
    assert kinds.count("exit") == 3 and kinds.count("restart") == 2, kinds
    exits = [r for r in records if isinstance(r, EngineEvent) and r.kind == "exit"]
    assert all(r.exit_code == 3 and "own error code" in r.explanation for r in exits)


def test_unknown_containers_are_an_input_error(docker_engine: Any) -> None:
    with pytest.raises(InputError, match="no container"):
        Monitor(docker_engine, ["hbt-no-such-container"], interval=1).run([], count=1)
    with pytest.raises(InputError):
        Monitor(docker_engine, interval=0)


def test_stopping_is_prompt(docker_engine: Any, hbtest: Any, containers: Any) -> None:
    idle = containers(hbtest.tag, ["sleep", "60"])
    began = time.monotonic()
    summary = Monitor(docker_engine, [idle.name], interval=0.5).run([], count=3)
    assert summary.ticks == 3 and summary.containers == {idle.name}
    assert time.monotonic() - began < 8
