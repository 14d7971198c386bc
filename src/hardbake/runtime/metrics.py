"""The monitor's figures as Prometheus metrics (prometheus-client), served on loopback by default.

Gauges per container (label `container` = name): CPU % (docker stats style and of the limit),
memory used/limit/%, pids and pids limit, network and block-I/O byte counters as the engine
reports them; counters for alerts fired and engine events seen. A private registry keeps the
process's own default metrics out, so two monitors in one process never collide.
"""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from hardbake.errors import InputError
from hardbake.runtime.alerts import Alert
from hardbake.runtime.events import EngineEvent
from hardbake.runtime.stats import Sample


def parse_address(text: str) -> tuple[str, int]:
    """`127.0.0.1:9323`, `[::1]:9323`, `:9323` or `9323` -> (host, port); the host defaults to loopback."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError as e:
        raise InputError(f"--prometheus {text!r}: expected HOST:PORT such as 127.0.0.1:9323") from e
    if not 0 < number < 65536:
        raise InputError(f"--prometheus {text!r}: port must be 1-65535")
    return host, number


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_GAUGES: dict[str, tuple[str, str]] = {
    "cpu_percent": ("hardbake_container_cpu_percent", "CPU use as docker stats shows it (100 = one core)"),
    "cpu_of_limit": ("hardbake_container_cpu_limit_percent", "CPU use as a percentage of the CPU limit"),
    "memory_used": ("hardbake_container_memory_usage_bytes", "Memory used, without inactive file cache"),
    "memory_limit": ("hardbake_container_memory_limit_bytes", "Memory limit"),
    "memory_percent": ("hardbake_container_memory_percent", "Memory used as a percentage of the limit"),
    "pids": ("hardbake_container_pids", "Processes and threads in the container"),
    "pids_limit": ("hardbake_container_pids_limit", "pids limit (absent without one)"),
    "net_rx": ("hardbake_container_network_receive_bytes", "Bytes received on all interfaces"),
    "net_tx": ("hardbake_container_network_transmit_bytes", "Bytes sent on all interfaces"),
    "block_read": ("hardbake_container_block_read_bytes", "Bytes read from block devices"),
    "block_write": ("hardbake_container_block_write_bytes", "Bytes written to block devices"),
}


class PrometheusExporter:
    def __init__(self, address: str) -> None:
        self.host, self.port = parse_address(address)
        self.registry = CollectorRegistry(auto_describe=True)
        self._gauges = {
            field: Gauge(name, doc, ["container"], registry=self.registry)
            for field, (name, doc) in _GAUGES.items()
        }
        self._alerts = Counter(
            "hardbake_alerts", "Threshold alerts fired", ["container", "metric"], registry=self.registry
        )
        self._events = Counter(
            "hardbake_container_events",
            "OOM kills, non-zero exits, restarts",
            ["container", "kind"],
            registry=self.registry,
        )
        self._known: set[str] = set()
        self._server: Any = None

    def start(self) -> None:
        try:
            self._server, _thread = start_http_server(self.port, addr=self.host, registry=self.registry)
        except OSError as e:
            raise InputError(f"cannot serve Prometheus metrics on {self.host}:{self.port}: {e}") from e

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def samples(self, samples: tuple[Sample, ...]) -> None:
        present = {s.name for s in samples}
        for gone in self._known - present:
            for gauge in self._gauges.values():
                with contextlib.suppress(KeyError):
                    gauge.remove(gone)
        self._known = present
        for s in samples:
            for field, gauge in self._gauges.items():
                value = getattr(s, field)
                if value is None:
                    with contextlib.suppress(KeyError):
                        gauge.remove(s.name)
                else:
                    gauge.labels(s.name).set(float(value))

    def alert(self, alert: Alert) -> None:
        if alert.state == "firing":
            self._alerts.labels(alert.name, alert.metric).inc()

    def event(self, event: EngineEvent) -> None:
        self._events.labels(event.name, event.kind).inc()
