"""Observed usage per container, from a `hardbake monitor --format jsonl` capture or live stats.

For right-sizing what matters is the memory peak (a limit below it means an OOM kill) and a
high percentile of CPU (p95: sizing for the single highest second buys idle CPU all month).
OOM kills and CPU pinned at the limit are remembered too: a peak that touched the limit says
only that the real need is at least that much.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardbake.errors import InputError


@dataclass
class Observed:
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    peak_memory: int = 0
    memory_limit: int = 0
    cpu_cores: list[float] = field(default_factory=list)
    cpu_limit: float | None = None
    samples: int = 0
    oom_kills: int = 0
    throttled: list[int] = field(default_factory=list)  # CFS throttled periods, as read

    @property
    def cpu_p95(self) -> float:
        if not self.cpu_cores:
            return 0.0
        ordered = sorted(self.cpu_cores)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def memory_capped(self) -> bool:
        """The peak touched the limit (or an OOM kill happened): the true need is unknown."""
        return self.oom_kills > 0 or (self.memory_limit > 0 and self.peak_memory >= 0.95 * self.memory_limit)

    @property
    def cpu_capped(self) -> bool:
        """CPU p95 at the limit, or the kernel throttled it against its quota during the capture."""
        if self.cpu_limit is None:
            return False
        throttled = len(self.throttled) > 1 and max(self.throttled) > min(self.throttled)
        return self.cpu_p95 >= 0.9 * self.cpu_limit or throttled

    def names(self) -> set[str]:
        return {self.name, *self.labels.values()}


def add_record(observed: dict[str, Observed], record: Mapping[str, Any]) -> None:
    """Fold one monitor record (sample / event JSON) into `observed`, keyed by container name."""
    kind = record.get("type")
    name = str(record.get("name", ""))
    if not name or kind not in ("sample", "event"):
        return
    o = observed.setdefault(name, Observed(name))
    if kind == "event":
        if record.get("kind") == "oom" or record.get("oom_killed"):
            o.oom_kills += 1
        return
    o.samples += 1
    o.labels.update({str(k): str(v) for k, v in (record.get("labels") or {}).items()})
    o.peak_memory = max(o.peak_memory, int(record.get("memory_used") or 0))
    o.memory_limit = int(record.get("memory_limit") or o.memory_limit)
    if record.get("cpu_limit") is not None:
        o.cpu_limit = float(record["cpu_limit"])
    if record.get("cpu_percent") is not None:
        o.cpu_cores.append(float(record["cpu_percent"]) / 100.0)
    if record.get("throttled_periods") is not None:
        o.throttled.append(int(record["throttled_periods"]))


def from_records(records: Iterable[Mapping[str, Any]]) -> dict[str, Observed]:
    observed: dict[str, Observed] = {}
    for r in records:
        add_record(observed, r)
    return observed


def from_jsonl(path: Path) -> dict[str, Observed]:
    """Read a monitor capture; a line that is not JSON is an error naming the line."""
    records = []
    try:
        with path.open() as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise InputError(f"{path}:{number}: not a JSON line ({e.msg})") from e
    except OSError as e:
        raise InputError(f"cannot read observed usage from {path}: {e}") from e
    observed = from_records(records)
    if not any(o.samples for o in observed.values()):
        raise InputError(
            f"{path} holds no samples",
            hint="capture some with `hardbake monitor --format jsonl --duration 600 > usage.jsonl`",
        )
    return observed


def observe_live(
    client: Any, seconds: float, targets: Sequence[str] = (), interval: float = 1.0
) -> dict[str, Observed]:
    """Sample running containers (or `targets`) for `seconds` through the monitor."""
    from hardbake.runtime.events import EngineEvent
    from hardbake.runtime.monitor import Monitor, Record, Tick

    observed: dict[str, Observed] = {}

    def fold(record: Record) -> None:
        if isinstance(record, Tick):
            for sample in record.samples:
                add_record(observed, sample.to_json())
        elif isinstance(record, EngineEvent):
            add_record(observed, record.to_json())

    Monitor(client, targets, interval=interval).run([fold], duration=seconds)
    if not any(o.samples for o in observed.values()):
        raise InputError(
            f"no running container gave a sample in {seconds:g} s", hint="start the workload first"
        )
    return observed
