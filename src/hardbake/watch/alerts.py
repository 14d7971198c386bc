"""SLA alerts: when a fixable vulnerability nears (warning) or passes (breached) its deadline.

Sinks, one module-level class each, all with `send(alert) -> bool`:

* `TerminalSink`: a line to a callback (the CLI prints it on stderr);
* `JsonLinesSink`: one JSON object per line appended to a file (flushed and fsynced);
* `WebhookSink`: an HTTP POST of the JSON, retried on connection errors, timeouts, 429 and
  5xx with exponential backoff, a bounded number of attempts, all inside one overall time
  budget per dispatch, so a dead receiver delays a watch iteration by a bounded amount.

Each sink that has a `name` (the JSON lines file, the webhook URL) gets each alert once per
level: what it took is recorded in the state DB, and a failed webhook delivery is tried again
at the next dispatch. The terminal has no name: it shows every due alert, every time.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from hardbake import webhook
from hardbake.watch.duration import format_duration
from hardbake.watch.sla import SlaItem
from hardbake.watch.state import StateDB


@dataclass(frozen=True)
class Alert:
    level: str  # warning | breached
    item: SlaItem
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "hardbake.sla",
            "level": self.level,
            "at": self.at.isoformat(timespec="seconds"),
            **self.item.to_json(),
        }

    def text(self) -> str:
        i = self.item
        kev = " (known exploited)" if i.kev else ""
        when = (
            f"overdue by {format_duration(-(i.remaining))}"
            if i.remaining is not None and i.remaining.total_seconds() < 0
            else f"{format_duration(i.remaining or i.age)} left"
        )
        return (
            f"SLA {self.level}: {i.image} {i.vuln} ({i.package}, {i.severity}{kev}) fixable since "
            f"{i.fix_available_at.isoformat(timespec='minutes') if i.fix_available_at else '?'}, {when}"
        )


class Sink(Protocol):
    name: str | None  # None: not recorded, every due alert every time

    def begin(self) -> None: ...

    def send(self, alert: Alert) -> bool: ...


class TerminalSink:
    name: str | None = None

    def __init__(self, emit: Callable[[str], None]) -> None:
        self.emit = emit

    def begin(self) -> None:
        pass

    def send(self, alert: Alert) -> bool:
        self.emit(alert.text())
        return True


class JsonLinesSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.name: str | None = f"jsonl:{path.resolve()}"

    def begin(self) -> None:
        pass

    def send(self, alert: Alert) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(alert.to_json(), sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return True


class WebhookSink:
    """POST each alert; `deadline` (seconds) bounds all attempts of one dispatch together."""

    def __init__(
        self,
        url: str,
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 5.0,
        budget: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = webhook.check_url(url)
        self.name: str | None = f"webhook:{url}"
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.timeout = timeout
        self.budget = budget
        self.deadline: float | None = None
        self.delivered = 0
        self.failed = 0
        self.last_error: str | None = None
        self._client = webhook.client(timeout, transport)

    def close(self) -> None:
        self._client.close()

    def begin(self) -> None:
        """A new dispatch: a fresh time budget."""
        self.deadline = time.monotonic() + self.budget

    def send(self, alert: Alert) -> bool:
        if self.deadline is None:
            self.begin()
        assert self.deadline is not None
        for attempt in range(1, self.attempts + 1):
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.last_error = "time budget spent"
                break
            done = webhook.post(self._client, self.url, alert.to_json(), min(self.timeout, left))
            if done.delivered:
                self.delivered += 1
                return True
            self.last_error = done.error
            if not done.retry or attempt == self.attempts:
                break
            time.sleep(max(0.0, min(self.backoff * 2 ** (attempt - 1), self.deadline - time.monotonic())))
        self.failed += 1
        return False


def due(items: Sequence[SlaItem], now: datetime) -> list[Alert]:
    """Every warning and breach (which sink still needs which is `dispatch`'s business)."""
    return [Alert(i.status, i, now) for i in items if i.status in ("warning", "breached")]


def dispatch(alerts: Sequence[Alert], sinks: Sequence[Sink], state: StateDB) -> list[tuple[Alert, str]]:
    """Send each alert to each sink that has not taken it at that level; returns (alert, sink
    name) of the deliveries made (the terminal's as "terminal")."""
    for s in sinks:
        s.begin()
    sent = []
    for a in alerts:
        i = a.item
        for s in sinks:
            if s.name is not None and state.alerted(i.image, i.vuln, i.package, a.level, s.name):
                continue
            if s.send(a):
                if s.name is not None:
                    state.record_alert(i.image, i.vuln, i.package, a.level, s.name)
                sent.append((a, s.name or "terminal"))
    return sent
