from __future__ import annotations

import httpx
import pytest

from hardbake.errors import InputError
from hardbake.runtime.alerts import Alert
from hardbake.runtime.events import EngineEvent
from hardbake.runtime.metrics import PrometheusExporter, is_loopback, parse_address
from hardbake.runtime.stats import Sample
from hardbake.testing.net import free_port


def sample(name: str, mem: int) -> Sample:
    return Sample(name, name, 0.0, 50.0, 0.5, 100.0, mem, 1000, mem / 10, 7, 50, 1, 2, 3, 4)


def test_addresses_default_to_loopback() -> None:
    assert parse_address("9323") == ("127.0.0.1", 9323)
    assert parse_address(":9323") == ("127.0.0.1", 9323)
    assert parse_address("[::1]:9323") == ("::1", 9323)
    assert parse_address("0.0.0.0:80") == ("0.0.0.0", 80)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")
    for bad in ("x", "127.0.0.1:0", "127.0.0.1:70000"):
        with pytest.raises(InputError):
            parse_address(bad)


def test_the_figures_are_served_as_prometheus_metrics() -> None:
    port = free_port()
    exporter = PrometheusExporter(f"127.0.0.1:{port}")
    exporter.start()
    try:
        exporter.samples((sample("web", 800), sample("db", 100)))
        exporter.alert(Alert("web", "web", "memory", "firing", 80.0, 80.0, 0.0, "m"))
        exporter.alert(Alert("web", "web", "memory", "resolved", 60.0, 80.0, 0.0, "m"))
        exporter.event(EngineEvent("web", "web", "oom", 0.0, "x"))
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'hardbake_container_memory_usage_bytes{container="web"} 800.0' in text
        assert 'hardbake_container_cpu_limit_percent{container="db"} 100.0' in text
        assert 'hardbake_container_pids_limit{container="web"} 50.0' in text
        assert 'hardbake_alerts_total{container="web",metric="memory"} 1.0' in text
        assert 'hardbake_container_events_total{container="web",kind="oom"} 1.0' in text
        exporter.samples((sample("web", 900),))  # db is gone: its series go too
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'container="db"' not in text and 'usage_bytes{container="web"} 900.0' in text
    finally:
        exporter.close()


def test_a_busy_port_is_an_input_error() -> None:
    first = PrometheusExporter(f"127.0.0.1:{free_port()}")
    first.start()
    try:
        with pytest.raises(InputError, match="cannot serve"):
            PrometheusExporter(f"127.0.0.1:{first.port}").start()
    finally:
        first.close()
