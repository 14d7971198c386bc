"""One container's figures from one Engine API stats document, computed as `docker stats` does.

The formulas are the Docker CLI's (cli/command/container/stats_helpers.go):
- CPU % = (container CPU delta / system CPU delta) x online CPUs x 100, so 100% is one core;
- memory used = usage - inactive file cache (`total_inactive_file` on cgroup v1,
  `inactive_file` on v2), memory % = used / limit x 100;
- block I/O = sums of `io_service_bytes_recursive` by operation; network = sums over interfaces.
On top of that, CPU % of the limit: CPU % divided by the CPUs the container may use (its
`--cpus`/quota), which is what the article's 75% threshold means by "75% of limit".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Sample:
    container_id: str
    name: str
    time: float  # seconds since the epoch, when the monitor read it
    cpu_percent: float | None  # docker stats CPU % (100 = one core); None until two readings
    cpu_limit: float | None  # CPUs the container may use; None = no limit
    cpu_of_limit: float | None  # cpu_percent / cpu_limit (or of one core without a limit)
    memory_used: int
    memory_limit: int
    memory_percent: float
    pids: int
    pids_limit: int | None
    net_rx: int
    net_tx: int
    block_read: int
    block_write: int
    throttled_periods: int = 0
    labels: Mapping[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["type"] = "sample"
        if not d["labels"]:
            d.pop("labels")
        return d


def _cpu_percent(doc: Mapping[str, Any], prev: Mapping[str, Any] | None) -> float | None:
    cpu = doc.get("cpu_stats") or {}
    pre = prev if prev is not None else (doc.get("precpu_stats") or {})
    total = (cpu.get("cpu_usage") or {}).get("total_usage")
    pre_total = (pre.get("cpu_usage") or {}).get("total_usage")
    system, pre_system = cpu.get("system_cpu_usage"), pre.get("system_cpu_usage")
    if total is None or pre_total is None or not system or not pre_system:
        return None
    online = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    cpu_delta = float(total) - float(pre_total)
    system_delta = float(system) - float(pre_system)
    if system_delta <= 0 or cpu_delta < 0:
        return None
    return cpu_delta / system_delta * online * 100.0


def memory_used(mem: Mapping[str, Any]) -> int:
    usage = int(mem.get("usage") or 0)
    stats = mem.get("stats") or {}
    if "total_inactive_file" in stats and stats["total_inactive_file"] < usage:
        return usage - int(stats["total_inactive_file"])
    inactive = int(stats.get("inactive_file") or 0)
    if inactive < usage:
        return usage - inactive
    return usage


def compute(
    doc: Mapping[str, Any],
    *,
    container_id: str,
    name: str,
    now: float,
    cpu_limit: float | None,
    prev_cpu: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Sample:
    """A Sample from a stats document; `prev_cpu` is the previous document's `cpu_stats`."""
    cpu_pct = _cpu_percent(doc, prev_cpu)
    of_limit = None if cpu_pct is None else cpu_pct / (cpu_limit or 1.0)
    mem = doc.get("memory_stats") or {}
    used = memory_used(mem)
    limit = int(mem.get("limit") or 0)
    pids = doc.get("pids_stats") or {}
    rx = tx = 0
    for net in (doc.get("networks") or {}).values():
        rx += int(net.get("rx_bytes") or 0)
        tx += int(net.get("tx_bytes") or 0)
    read = write = 0
    for entry in (doc.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        op = str(entry.get("op") or "")[:1].lower()
        if op == "r":
            read += int(entry.get("value") or 0)
        elif op == "w":
            write += int(entry.get("value") or 0)
    throttling = (doc.get("cpu_stats") or {}).get("throttling_data") or {}
    pids_limit = pids.get("limit")
    # The engine reports "no limit" as 0 or as the maximum of the counter.
    if not pids_limit or pids_limit >= 2**62:
        pids_limit = None
    return Sample(
        container_id=container_id,
        name=name,
        time=now,
        cpu_percent=cpu_pct,
        cpu_limit=cpu_limit,
        cpu_of_limit=of_limit,
        memory_used=used,
        memory_limit=limit,
        memory_percent=(used / limit * 100.0) if limit else 0.0,
        pids=int(pids.get("current") or 0),
        pids_limit=int(pids_limit) if pids_limit else None,
        net_rx=rx,
        net_tx=tx,
        block_read=read,
        block_write=write,
        throttled_periods=int(throttling.get("throttled_periods") or 0),
        labels=dict(labels) if labels else None,
    )


def cpu_limit_of(host_config: Mapping[str, Any]) -> float | None:
    """CPUs a container may use, from its HostConfig (`--cpus` or quota/period); None = unlimited."""
    nano = host_config.get("NanoCpus") or 0
    if nano:
        return float(nano) / 1e9
    quota, period = host_config.get("CpuQuota") or 0, host_config.get("CpuPeriod") or 0
    if quota > 0:
        return float(quota) / float(period or 100_000)
    return None
