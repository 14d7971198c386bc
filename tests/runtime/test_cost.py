from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hardbake.errors import InputError
from hardbake.runtime.cost import DEFAULT_PRICES, estimate, load_prices
from hardbake.runtime.observed import from_jsonl, from_records, observe_live
from hardbake.runtime.profile import BUILTIN
from hardbake.runtime.stats import Sample
from hardbake.runtime.units import MiB
from hardbake.runtime.workloads import from_profile, load_workloads

ARTICLE_COMPOSE = """
version: "3.8"
services:
  web:
    image: docker.io/docker/node:20-alpine-hardened
    deploy:
      resources:
        limits: {cpus: "1.0", memory: 512M, pids: 100}
        reservations: {cpus: "0.25", memory: 256M}
  database:
    image: docker.io/docker/postgres:15-alpine-hardened
    deploy:
      resources:
        limits: {cpus: "2.0", memory: 1G}
        reservations: {cpus: "0.5", memory: 512M}
  sidecar:
    image: busybox
"""

ARTICLE_K8S = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: hardened-app}
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: app
        image: docker.io/docker/node:20-alpine-hardened
        resources:
          requests: {memory: "256Mi", cpu: "250m", ephemeral-storage: "1Gi"}
          limits: {memory: "512Mi", cpu: "500m", ephemeral-storage: "2Gi"}
---
apiVersion: v1
kind: Service
metadata: {name: ignored}
"""


def test_the_articles_fargate_example() -> None:
    report = estimate([from_profile(BUILTIN["production"])])
    line = report.lines[0]
    assert line.hourly == 0.03 and line.priced_as == "size 0.5 vCPU / 512m"
    assert round(line.monthly, 2) == 21.90 and round(line.baseline_monthly or 0, 2) == 87.60
    doc = report.to_json()
    assert doc["saving_from_limits_monthly"] == 65.70  # the article's "~$65 per container"
    hundred = estimate([from_profile(BUILTIN["production"], replicas=100)]).to_json()
    assert hundred["saving_from_limits_monthly"] == 6570.0  # "$6,500/month"
    assert round(hundred["saving_from_limits_monthly"] * 12) == 78840  # "$78,000" a year
    assert DEFAULT_PRICES.hourly(2, 4 * 1024 * MiB) == (0.12, "size 2 vCPU / 4g")


def test_compose_workloads_on_both_bases(tmp_path: Path) -> None:
    f = tmp_path / "compose.yaml"
    f.write_text(ARTICLE_COMPOSE)
    ws = load_workloads(str(f))
    assert [w.name for w in ws] == ["web", "database", "sidecar"]
    by_limits = {line.workload: line for line in estimate(ws).lines}
    assert round(by_limits["web"].monthly, 2) == 43.80  # 1 vCPU / 512M -> the 1 vCPU / 2g size
    assert round(by_limits["database"].monthly, 2) == 87.60
    assert "priced as the baseline" in by_limits["sidecar"].note
    by_requests = {line.workload: line for line in estimate(ws, basis="requests").lines}
    assert (
        round(by_requests["web"].monthly, 2) == 10.95 and round(by_requests["database"].monthly, 2) == 21.90
    )


def test_kubernetes_workloads(tmp_path: Path) -> None:
    f = tmp_path / "k8s.yaml"
    f.write_text(ARTICLE_K8S)
    (w,) = load_workloads(str(f))
    assert (w.replicas, w.limit_cpus, w.limit_memory, w.request_memory) == (3, 0.5, 512 * MiB, 256 * MiB)
    assert round(estimate([w]).total_monthly, 2) == 65.70


def test_price_tables(tmp_path: Path) -> None:
    f = tmp_path / "prices.yaml"
    f.write_text("name: fargate-us\nper_hour: {vcpu: 0.04048, gib: 0.004445}\n")
    prices = load_prices(f)
    report = estimate([from_profile(BUILTIN["production"])], prices)
    assert report.lines[0].hourly == pytest.approx(0.5 * 0.04048 + 0.5 * 0.004445)
    assert report.lines[0].baseline_monthly is None and report.total_baseline is None
    f.write_text("per_hour: {vcpu: 1, gib: 1}\ncurency: EUR\n")
    with pytest.raises(InputError, match="curency: unknown key"):
        load_prices(f)
    f.write_text("name: empty\n")
    with pytest.raises(InputError, match="per_hour rates or a list of sizes"):
        load_prices(f)
    with pytest.raises(InputError, match="no size in the price table holds 32 vCPU"):
        DEFAULT_PRICES.hourly(32, MiB)


def sample(
    name: str, cpu: float, mem_mib: int, limit_mib: int = 512, labels: dict[str, str] | None = None
) -> dict[str, object]:
    return Sample(
        name,
        name,
        0.0,
        cpu * 100,
        0.5,
        cpu * 200,
        mem_mib * MiB,
        limit_mib * MiB,
        mem_mib / limit_mib * 100,
        3,
        100,
        0,
        0,
        0,
        0,
        labels=labels,
    ).to_json()


def test_right_sizing_from_a_monitor_capture(tmp_path: Path) -> None:
    capture = tmp_path / "usage.jsonl"
    records = [sample("api-1", 0.02 * (i % 6), 60 + i) for i in range(40)]
    capture.write_text("".join(json.dumps(r) + "\n" for r in records))
    observed = from_jsonl(capture)
    report = estimate([from_profile(BUILTIN["production"])], observed=observed)
    (line,) = report.lines
    assert line.workload == "api-1" and line.observed_peak_memory == 99 * MiB
    assert line.recommended_memory == 128 * MiB and line.recommended_cpus == 0.15  # +20%, rounded up
    assert round(line.recommended_monthly or 0, 2) == 10.95
    assert report.to_json()["saving_from_right_sizing_monthly"] == 10.95


def test_a_capped_peak_is_not_sized_down() -> None:
    # 300 MiB seen, but the container was OOM-killed: its real need is unknown, so keep the limit.
    observed = from_records(
        [sample("api-1", 0.1, 300), {"type": "event", "name": "api-1", "kind": "oom", "oom_killed": True}]
    )
    (line,) = estimate([from_profile(BUILTIN["production"])], observed=observed).lines
    assert line.recommended_memory == 512 * MiB
    assert "not sized down" in line.note
    (free,) = estimate(
        [from_profile(BUILTIN["production"])], observed=from_records([sample("api-1", 0.1, 300)])
    ).lines
    assert free.recommended_memory == 368 * MiB  # without the OOM kill it would shrink


def test_compose_services_match_their_containers(tmp_path: Path) -> None:
    f = tmp_path / "compose.yaml"
    f.write_text(ARTICLE_COMPOSE)
    observed = from_records(
        [
            sample("shop-web-1", 0.05, 100, labels={"com.docker.compose.service": "web"}),
            sample("shop-web-2", 0.1, 120, labels={"com.docker.compose.service": "web"}),
        ]
    )
    lines = {line.workload: line for line in estimate(load_workloads(str(f)), observed=observed).lines}
    assert lines["web"].observed_peak_memory == 120 * MiB and lines["web"].recommended_memory == 144 * MiB
    assert "no observed usage" in lines["database"].note


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a built-in profile"):
        load_workloads(str(tmp_path / "nope.yaml"))
    f = tmp_path / "x.yaml"
    f.write_text("hello: world\n")
    with pytest.raises(InputError, match="neither a Compose file"):
        load_workloads(str(f))
    f.write_text("services:\n  a:\n    deploy: {resources: {limits: {memory: lots}}}\n")
    with pytest.raises(InputError, match=r"services.a.memory"):
        load_workloads(str(f))
    capture = tmp_path / "bad.jsonl"
    capture.write_text('{"type": "sample"}\nnot json\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        from_jsonl(capture)


@pytest.mark.docker
def test_live_observation_feeds_right_sizing(docker_engine: Any, hbtest: Any, containers: Any) -> None:
    # A busy loop under a 0.2 CPU quota is throttled by the kernel, however busy the host is.
    busy = containers(hbtest.tag, ["cpuhog", "1", "30", "0", "1"], nano_cpus=200_000_000, mem_limit="128m")
    observed = observe_live(docker_engine, 3.5, [busy.name])
    o = observed[busy.name]
    assert o.samples >= 2 and o.cpu_limit == 0.2 and o.memory_limit == 128 * MiB
    assert o.cpu_p95 > 0.1 and o.cpu_capped
    (line,) = estimate([from_profile(BUILTIN["max-security"])], observed=observed).lines
    assert line.recommended_cpus is not None and line.recommended_cpus >= 0.25  # never below the limit
    assert "CPU at its limit" in line.note
    idle = from_records([sample("api-1", 0.01, 50)])
    assert not idle["api-1"].cpu_capped
