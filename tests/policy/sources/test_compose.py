"""Compose services: compose-spec fields, Docker's defaults, interpolation defaults."""

from __future__ import annotations

from hardbake.policy.sources.compose import load

COMPOSE = """
services:
  a:
    image: ${IMAGE:-hardbake/node:20}
    user: "0"
    tmpfs: /run:size=1m
    volumes:
      - type: tmpfs
        target: /cache
        tmpfs: {size: 1000000}
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - data:/data
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 64M, pids: 0}
      restart_policy: {condition: on-failure}
    mem_limit: 1g
    logging: {driver: json-file, options: {max-size: "10m"}}
  b:
    image: alpine
    healthcheck: {interval: 10s}
    cpus: 2
    mem_limit: 128m
    pids_limit: 50
    deploy: {restart_policy: {}}
"""


def test_compose_fields() -> None:
    a, b = (w.containers[0] for w in load(COMPOSE, "compose.yaml"))
    assert a.image == "hardbake/node:20" and a.user == "0" and a.run_as_user == 0
    assert {t.target: (t.size, sorted(t.options)) for t in a.tmpfs} == {
        "/run": ("1m", ["nodev", "noexec", "nosuid"]),
        "/cache": ("1000000", ["nodev", "noexec", "nosuid"]),
    }
    assert [(m.source, m.read_only) for m in a.mounts] == [("/var/run/docker.sock", True)]
    # deploy.resources wins over the legacy keys; pids 0 means unlimited
    assert (
        a.resources.memory_limit == "64M"
        and a.resources.cpu_limit == "0.5"
        and a.resources.pids_limit is None
    )
    assert a.restart == "on-failure" and a.log_rotation is True
    assert a.seccomp == "RuntimeDefault" and a.allow_privilege_escalation is None
    assert b.resources.cpu_limit == "2" and b.resources.pids_limit == "50"
    assert b.healthcheck is None  # tuning the image's check without a test: the image decides
    assert b.restart == "always"  # deploy.restart_policy's condition defaults to any


def test_lines_of_services() -> None:
    a, b = (w.containers[0] for w in load(COMPOSE, "compose.yaml"))
    assert a.where.line == 3 and a.at("user").line == 5 and a.at("limits.memory").line == 15
    assert b.where.line == 19
