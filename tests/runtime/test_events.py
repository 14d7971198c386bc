from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from hardbake.runtime.events import EventInterpreter
from hardbake.runtime.exitcodes import explain_exit


def raw(action: str, cid: str = "c1", **attrs: str) -> dict[str, Any]:
    return {
        "Type": "container",
        "Action": action,
        "Actor": {"ID": cid, "Attributes": {"name": "web", **attrs}},
        "timeNano": 1_700_000_000_000_000_000,
    }


class State:
    def __init__(self, **state: Any) -> None:
        self.state = state

    def __call__(self, cid: str) -> Mapping[str, Any] | None:
        return self.state


@pytest.mark.parametrize(
    ("code", "oom", "words"),
    [
        (137, True, "OOM killer"),
        (137, False, "SIGKILL: often the kernel's OOM killer"),
        (139, False, "SIGSEGV"),
        (143, False, "SIGTERM"),
        (126, False, "noexec"),
        (127, False, "not found"),
        (3, False, "own error code"),
        (0, False, "normally"),
        (158, False, "ended by"),
    ],
)
def test_exit_codes_are_explained(code: int, oom: bool, words: str) -> None:
    text = explain_exit(code, oom_killed=oom)
    assert text.startswith(f"exit {code}: ") and words in text


def test_oom_then_death_is_explained() -> None:
    it = EventInterpreter(State(OOMKilled=True, RestartCount=0))
    oom = it.interpret(raw("oom"))
    assert oom is not None and oom.kind == "oom" and "OOM killer" in oom.explanation
    died = it.interpret(raw("die", exitCode="137"))
    assert died is not None and died.kind == "exit" and died.exit_code == 137 and died.oom_killed
    assert "OOM killer" in died.explanation and died.time == 1_700_000_000.0
    assert died.message.startswith("EXIT: web: exit 137")


def test_clean_exit_is_quiet_and_restarts_are_reported_once() -> None:
    it = EventInterpreter(State(OOMKilled=False, RestartCount=2))
    assert it.interpret(raw("die", exitCode="0")) is None
    assert it.interpret(raw("start")) is not None  # a start after a death: a restart
    assert it.interpret(raw("start")) is None  # an ordinary start is not
    # `docker restart`: die, start, restart -> one restart event
    events = [it.interpret(raw(a, exitCode="143")) for a in ("die", "start", "restart")]
    kinds = [e.kind for e in events if e is not None]
    assert kinds == ["exit", "restart"]
    restart = next(e for e in events if e is not None and e.kind == "restart")
    assert "restart policy" in restart.explanation and restart.restart_count == 2
    assert it.interpret(raw("health_status: unhealthy")) is not None
    assert it.interpret({"Type": "network", "Action": "connect"}) is None
