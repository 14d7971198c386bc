from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.runtime.alerts import AlertTracker, Thresholds
from hardbake.runtime.stats import Sample


def sample(
    mem: float = 0.0, cpu: float | None = 0.0, pids: int = 1, pids_limit: int | None = None, cid: str = "c1"
) -> Sample:
    return Sample(
        container_id=cid,
        name=cid,
        time=0.0,
        cpu_percent=cpu,
        cpu_limit=1.0,
        cpu_of_limit=cpu,
        memory_used=int(mem * 10),
        memory_limit=1000,
        memory_percent=mem,
        pids=pids,
        pids_limit=pids_limit,
        net_rx=0,
        net_tx=0,
        block_read=0,
        block_write=0,
    )


def test_a_flapping_value_alerts_once_per_crossing() -> None:
    t = AlertTracker(Thresholds(memory=80, cpu=None, pids=None, hysteresis=10))
    fired = [a for v in (50, 81, 79, 82, 78, 85, 79) for a in t.observe(sample(mem=v))]
    assert [(a.state, round(a.value)) for a in fired] == [("firing", 81)]
    assert fired[0].message == "ALERT: c1: Memory usage 81.0% exceeds threshold 80%"
    resolved = t.observe(sample(mem=69.9))
    assert [a.state for a in resolved] == ["resolved"]
    assert [a.state for a in t.observe(sample(mem=90))] == ["firing"]


def test_metrics_and_containers_are_independent() -> None:
    t = AlertTracker(Thresholds(memory=80, cpu=75, pids=90, hysteresis=5))
    got = t.observe(sample(mem=90, cpu=80, pids=50, pids_limit=50))
    assert sorted(a.metric for a in got) == ["cpu", "memory", "pids"]
    assert [a.metric for a in t.observe(sample(mem=90, cid="c2"))] == ["memory"]
    t.forget("c1")
    assert sorted(a.metric for a in t.observe(sample(mem=90, cpu=80, pids=50, pids_limit=50))) == [
        "cpu",
        "memory",
        "pids",
    ]


def test_unknown_cpu_never_alerts_or_resolves() -> None:
    t = AlertTracker(Thresholds(memory=None, cpu=75, pids=None))
    assert t.observe(sample(cpu=None)) == []
    assert len(t.observe(sample(cpu=100))) == 1
    assert t.observe(sample(cpu=None)) == []


def test_thresholds_are_validated() -> None:
    with pytest.raises(ValueError):
        Thresholds(memory=0)
    with pytest.raises(ValueError):
        Thresholds(hysteresis=-1)


@given(st.lists(st.floats(min_value=0, max_value=100), max_size=60), st.floats(min_value=0, max_value=30))
def test_alerts_alternate_firing_and_resolved(values: list[float], hysteresis: float) -> None:
    t = AlertTracker(Thresholds(memory=80, cpu=None, pids=None, hysteresis=hysteresis))
    states = [a.state for v in values for a in t.observe(sample(mem=v))]
    assert all(a != b for a, b in itertools.pairwise(states))
    assert not states or states[0] == "firing"
    crossings = 0
    armed = True
    for v in values:
        if armed and v > 80:
            crossings, armed = crossings + 1, False
        elif not armed and v < 80 - hysteresis:
            armed = True
    assert states.count("firing") == crossings
