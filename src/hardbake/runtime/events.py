"""Engine events that matter to an operator, each with its explanation.

From the Engine API's event stream: `oom` (the kernel's OOM killer struck inside the
container), `die` with a non-zero exit code (explained: 137 is SIGKILL, often the OOM killer),
a start after a death (a restart by policy or by hand), and `health_status: unhealthy`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hardbake.runtime.exitcodes import explain_exit


@dataclass(frozen=True)
class EngineEvent:
    container_id: str
    name: str
    kind: str  # oom | exit | restart | unhealthy
    time: float
    explanation: str
    exit_code: int | None = None
    oom_killed: bool | None = None
    restart_count: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": "event", **self.__dict__}

    @property
    def message(self) -> str:
        return f"{self.kind.upper()}: {self.name}: {self.explanation}"


#: Reads a container's engine state ({"OOMKilled": ..., "RestartCount": ...}); None if gone.
StateReader = Callable[[str], Mapping[str, Any] | None]


class EventInterpreter:
    """Turns raw engine events into EngineEvents; remembers deaths so a later start is a restart."""

    def __init__(self, read_state: StateReader) -> None:
        self._read_state = read_state
        self._died: set[str] = set()
        self._restarted: set[str] = set()

    def interpret(self, raw: Mapping[str, Any]) -> EngineEvent | None:
        if raw.get("Type", raw.get("type")) != "container":
            return None
        action = str(raw.get("Action") or raw.get("status") or "")
        actor = raw.get("Actor") or {}
        cid = str(actor.get("ID") or raw.get("id") or "")
        attrs = actor.get("Attributes") or {}
        name = str(attrs.get("name") or cid[:12])
        when = float(raw.get("timeNano") or 0) / 1e9 or float(raw.get("time") or 0)
        if action == "oom":
            return EngineEvent(
                cid,
                name,
                "oom",
                when,
                "the kernel's OOM killer killed a process: the container reached its memory limit",
            )
        if action == "die":
            self._died.add(cid)
            code = int(attrs.get("exitCode") or 0)
            if code == 0:
                return None
            state = self._read_state(cid) or {}
            oom = bool(state.get("OOMKilled"))
            return EngineEvent(
                cid,
                name,
                "exit",
                when,
                explain_exit(code, oom_killed=oom),
                exit_code=code,
                oom_killed=oom,
                restart_count=_int(state.get("RestartCount")),
            )
        if action == "start" and cid in self._died:
            self._died.discard(cid)
            self._restarted.add(cid)
            state = self._read_state(cid) or {}
            count = _int(state.get("RestartCount"))
            by = "its restart policy" if count else "a start after it stopped"
            return EngineEvent(
                cid,
                name,
                "restart",
                when,
                f"restarted by {by} (restart count {count or 0})",
                restart_count=count,
            )
        if action == "restart":
            # `docker restart` is die + start + restart: the start already said it.
            if cid in self._restarted:
                self._restarted.discard(cid)
                return None
            self._died.discard(cid)
            return EngineEvent(cid, name, "restart", when, "restarted (docker restart)")
        if action.startswith("health_status") and "unhealthy" in action:
            return EngineEvent(
                cid, name, "unhealthy", when, "its healthcheck failed the allowed number of times"
            )
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
