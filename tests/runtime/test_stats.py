from __future__ import annotations

from typing import Any

from hardbake.runtime.stats import compute, cpu_limit_of

DOC: dict[str, Any] = {
    "read": "2025-01-01T00:00:01Z",
    "pids_stats": {"current": 7, "limit": 50},
    "cpu_stats": {
        "cpu_usage": {"total_usage": 1_500_000_000},
        "system_cpu_usage": 20_000_000_000,
        "online_cpus": 2,
        "throttling_data": {"periods": 10, "throttled_periods": 4},
    },
    "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000_000}, "system_cpu_usage": 18_000_000_000},
    "memory_stats": {
        "usage": 100 * 2**20,
        "limit": 256 * 2**20,
        "stats": {"total_inactive_file": 36 * 2**20},
    },
    "networks": {"eth0": {"rx_bytes": 10, "tx_bytes": 20}, "eth1": {"rx_bytes": 1, "tx_bytes": 2}},
    "blkio_stats": {
        "io_service_bytes_recursive": [
            {"major": 254, "minor": 0, "op": "Read", "value": 4096},
            {"major": 254, "minor": 0, "op": "Write", "value": 8192},
            {"major": 254, "minor": 0, "op": "Total", "value": 12288},
            {"major": 254, "minor": 0, "op": "read", "value": 1},
        ]
    },
}


def test_figures_are_computed_as_docker_stats_does() -> None:
    s = compute(DOC, container_id="id", name="web", now=1.0, cpu_limit=0.5)
    # (0.5e9 / 2e9) x 2 CPUs x 100 = 50% (half a core); of a 0.5 CPU limit that is 100%.
    assert s.cpu_percent == 50.0 and s.cpu_of_limit == 100.0
    assert s.memory_used == 64 * 2**20 and s.memory_percent == 25.0  # inactive file cache excluded
    assert (s.pids, s.pids_limit) == (7, 50)
    assert (s.net_rx, s.net_tx) == (11, 22)
    assert (s.block_read, s.block_write) == (4097, 8192)
    assert s.throttled_periods == 4


def test_cgroup_v2_memory_and_unknowns() -> None:
    doc = {
        "cpu_stats": {"cpu_usage": {"total_usage": 5}, "online_cpus": 1},
        "precpu_stats": {},
        "memory_stats": {"usage": 1000, "limit": 4000, "stats": {"inactive_file": 200}},
        "pids_stats": {"current": 3, "limit": 2**64 - 1},
    }
    s = compute(doc, container_id="id", name="x", now=0.0, cpu_limit=None)
    assert s.cpu_percent is None and s.cpu_of_limit is None  # no earlier reading yet
    assert s.memory_used == 800 and s.memory_percent == 20.0
    assert s.pids_limit is None  # "max" means no limit
    assert s.to_json()["type"] == "sample"


def test_the_previous_reading_replaces_precpu() -> None:
    prev = {"cpu_usage": {"total_usage": 1_000_000_000}, "system_cpu_usage": 16_000_000_000}
    s = compute(DOC, container_id="id", name="web", now=1.0, cpu_limit=None, prev_cpu=prev)
    assert s.cpu_percent == 25.0 and s.cpu_of_limit == 25.0  # without a limit: of one core


def test_cpu_limit_from_host_config() -> None:
    assert cpu_limit_of({"NanoCpus": 250_000_000}) == 0.25
    assert cpu_limit_of({"CpuQuota": 150_000, "CpuPeriod": 100_000}) == 1.5
    assert cpu_limit_of({"CpuQuota": 0}) is None
