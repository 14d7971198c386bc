"""The runtime verbs end to end through the real entry point (exit codes included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from hardbake.testing.compose_schema import compose_schema
from hardbake.testing.goimage import GoImage, hbtest_image

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = compose_schema()


@pytest.fixture(scope="module")
def hbtest(docker_engine: Any) -> GoImage:
    return hbtest_image(docker_engine)


@pytest.fixture()
def unique() -> Any:
    return lambda prefix: f"hbt-{prefix}-{uuid.uuid4().hex[:8]}"


def hb(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "hardbake.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_limits_lists_profiles_and_refuses_bad_input(tmp_path: Path) -> None:
    r = hb("limits", "--list", "--json")
    assert r.returncode == 0
    profiles = json.loads(r.stdout)
    assert profiles["max-security"]["pids"] == 50 and profiles["dev"]["memory"] == 1024**3
    r = hb("limits", "huge", "--image", "x:1", "--no-engine")
    assert r.returncode == 2 and "unknown profile 'huge'" in r.stderr
    r = hb("limits", "production", "--image", "x:1", "--no-engine", "--set", "memroy=1g")
    assert r.returncode == 2 and "field 'memroy': unknown key" in r.stderr
    r = hb("limits", "production", "--image", "x:1", "--no-engine", "--format", "helm")
    assert r.returncode == 2 and "unknown --format" in r.stderr


def test_limits_without_an_engine_still_generates(tmp_path: Path) -> None:
    out = tmp_path / "deploy.yaml"
    r = hb(
        "limits",
        "production",
        "--image",
        "node:20",
        "--no-engine",
        "--format",
        "k8s",
        "--kind",
        "pod",
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    doc = yaml.safe_load(out.read_text())
    assert doc["kind"] == "Pod"
    env = doc["spec"]["containers"][0]["env"]
    assert env == [{"name": "NODE_OPTIONS", "value": "--max-old-space-size=256 --max-semi-space-size=32"}]
    assert "runtime: node (image name 'node')" in out.read_text()
    assert "not pinned" in out.read_text() and "wrote k8s configuration" in r.stderr


@pytest.mark.docker
def test_limits_compose_for_a_local_image(hbtest: Any, tmp_path: Path) -> None:
    out = tmp_path / "compose.yaml"
    r = hb(
        "limits",
        "max-security",
        "--image",
        hbtest.tag,
        "--format",
        "compose",
        "-o",
        str(out),
        "--healthcheck",
        "/usr/local/bin/hbtest probe http://127.0.0.1:8080/healthz",
        "--runtime",
        "go",
    )
    assert r.returncode == 0, r.stderr
    doc = yaml.safe_load(out.read_text())
    jsonschema.Draft201909Validator(SCHEMA).validate(doc)
    svc = next(iter(doc["services"].values()))
    assert svc["image"] == hbtest.image_id  # never pushed: pinned by image ID on this engine
    assert svc["environment"] == {"GOMEMLIMIT": "230MiB", "GOMAXPROCS": "1"}
    assert svc["healthcheck"]["test"][0] == "CMD"


@pytest.mark.docker
def test_run_wait_explains_the_exit(hbtest: Any, docker_engine: Any, unique: Any) -> None:
    ok, oom = unique("cli-ok"), unique("cli-oom")
    try:
        r = hb(
            "run",
            "max-security",
            hbtest.tag,
            "--name",
            ok,
            "--label",
            "hardbake.test=1",
            "--set",
            "restart=no",
            "--wait",
            "--json",
            "--",
            "fscheck",
        )
        assert r.returncode == 0, r.stderr
        result = json.loads(r.stdout)
        assert result["exit_code"] == 0 and result["profile"] == "max-security"
        r = hb(
            "run",
            "production",
            hbtest.tag,
            "--name",
            oom,
            "--label",
            "hardbake.test=1",
            "--network",
            "none",
            "--set",
            "restart=no",
            "-m",
            "64m",
            "--wait",
            "--",
            "memhog",
            "8",
            "20",
        )
        assert r.returncode == 1
        assert "exit 137: killed by the kernel's OOM killer" in r.stdout
        r = hb("diagnose", oom, "--json", "--logs", "0")
        assert r.returncode == 0
        d = json.loads(r.stdout)
        assert d["oom_killed"] is True and d["exit_code"] == 137
        r = hb("run", "dev", "registry.invalid/nothing:1", "--network", "none")
        assert r.returncode == 2 and "not in the local engine" in r.stderr
    finally:
        for name in (ok, oom):
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def test_cost_reproduces_the_article() -> None:
    r = hb("cost", "--from", "production", "--replicas", "100", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["total_monthly"] == 2190.0 and doc["saving_from_limits_monthly"] == 6570.0
    r = hb("cost", "--from", "production")
    assert "limits save $65.70 a month" in r.stdout
    r = hb("cost", "--from", "production", "--basis", "cheapest")
    assert r.returncode == 2


def test_monitor_refuses_bad_options() -> None:
    assert hb("monitor", "--format", "xml").returncode == 2
    r = hb("monitor", "--webhook", "ftp://x/y")
    assert r.returncode == 2 and "http://" in r.stderr
    r = hb("monitor", "--memory-threshold", "0")
    assert r.returncode == 2


@pytest.mark.docker
def test_monitor_serves_prometheus_and_posts_alerts(hbtest: Any, docker_engine: Any, unique: Any) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx

    from hardbake.testing.net import free_port, wait_for_port

    bodies: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    name, port = unique("cli-mon"), free_port()
    docker_engine.containers.run(
        hbtest.tag,
        ["cpuhog", "1", "60", "0", "1"],
        name=name,
        detach=True,
        network_mode="none",
        nano_cpus=200_000_000,
        labels={"hardbake.test": "1"},
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hardbake.cli.main",
            "monitor",
            name,
            "--interval",
            "1",
            "--duration",
            "8",
            "--cpu-threshold",
            "50",
            "--prometheus",
            str(port),
            "--webhook",
            f"http://127.0.0.1:{server.server_address[1]}/hook",
            "--format",
            "jsonl",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_for_port(port, timeout=20)
        deadline = time.monotonic() + 15
        text = ""
        while f'hardbake_container_cpu_limit_percent{{container="{name}"}}' not in text:
            assert time.monotonic() < deadline, text[-2000:]
            time.sleep(0.3)
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert f'hardbake_container_pids{{container="{name}"}}' in text
        _, errors = proc.communicate(timeout=60)
    finally:
        proc.kill()
        server.shutdown()
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    assert proc.returncode == 0, errors
    alerts = [b for b in bodies if b["type"] == "alert"]
    assert (
        alerts and alerts[0]["metric"] == "cpu" and alerts[0]["text"].startswith(f"ALERT: {name}: CPU usage")
    )
    assert "webhook: 1 delivered, 0 failed, 0 dropped" in errors
