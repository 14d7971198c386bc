"""Threshold alerts with hysteresis: exactly one alert per crossing, one resolution per recovery.

The article's resource-monitor.sh compares `docker stats` against MEMORY_THRESHOLD=80 and
CPU_THRESHOLD=75 on every poll, so a value hovering at the threshold alerts on every poll. Here
each (container, metric) pair is a two-state machine: it fires when the value goes above the
threshold and re-arms only once the value has fallen below threshold minus the hysteresis
band, so a value flapping around the threshold produces one alert, not one per sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hardbake.runtime.stats import Sample


@dataclass(frozen=True)
class Thresholds:
    memory: float | None = 80.0  # % of the memory limit
    cpu: float | None = 75.0  # % of the CPU limit (of one core without a limit)
    pids: float | None = 90.0  # % of the pids limit
    hysteresis: float = 10.0  # percentage points below the threshold that re-arm an alert

    def __post_init__(self) -> None:
        for name in ("memory", "cpu", "pids"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} threshold must be above 0, got {value}")
        if self.hysteresis < 0:
            raise ValueError("hysteresis must not be negative")


@dataclass(frozen=True)
class Alert:
    container_id: str
    name: str
    metric: str  # memory | cpu | pids
    state: str  # firing | resolved
    value: float
    threshold: float
    time: float
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "alert", **self.__dict__}


_LABELS = {"memory": "Memory usage", "cpu": "CPU usage", "pids": "Process count"}


def _values(sample: Sample) -> dict[str, float | None]:
    pids_pct = None
    if sample.pids_limit:
        pids_pct = sample.pids / sample.pids_limit * 100.0
    return {"memory": sample.memory_percent, "cpu": sample.cpu_of_limit, "pids": pids_pct}


class AlertTracker:
    """Feeds samples through per-(container, metric) state; returns the alerts they cause."""

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self._firing: set[tuple[str, str]] = set()

    def observe(self, sample: Sample) -> list[Alert]:
        out: list[Alert] = []
        for metric, value in _values(sample).items():
            threshold = getattr(self.thresholds, metric)
            if threshold is None or value is None:
                continue
            key = (sample.container_id, metric)
            label = _LABELS[metric]
            if key not in self._firing and value > threshold:
                self._firing.add(key)
                msg = f"ALERT: {sample.name}: {label} {value:.1f}% exceeds threshold {threshold:g}%"
                out.append(
                    Alert(
                        sample.container_id, sample.name, metric, "firing", value, threshold, sample.time, msg
                    )
                )
            elif key in self._firing and value < threshold - self.thresholds.hysteresis:
                self._firing.discard(key)
                rearm = threshold - self.thresholds.hysteresis
                msg = (
                    f"resolved: {sample.name}: {label} {value:.1f}% is back under {rearm:g}% "
                    f"(threshold {threshold:g}%)"
                )
                out.append(
                    Alert(
                        sample.container_id,
                        sample.name,
                        metric,
                        "resolved",
                        value,
                        threshold,
                        sample.time,
                        msg,
                    )
                )
        return out

    def forget(self, container_id: str) -> None:
        """Drop a container's state (it is gone); a new start begins un-alerted."""
        self._firing = {k for k in self._firing if k[0] != container_id}
