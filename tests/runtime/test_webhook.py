"""Webhook delivery to real HTTP receivers on 127.0.0.1: retried, bounded, never blocking the monitor."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hardbake.errors import InputError
from hardbake.runtime.alerts import Thresholds
from hardbake.runtime.monitor import Monitor, Tick
from hardbake.runtime.webhook import WebhookSender


class Receiver:
    """A local HTTP receiver answering with a scripted list of status codes (then 200), or hanging."""

    def __init__(self, statuses: list[int] | None = None, delay: float = 0.0) -> None:
        self.statuses = list(statuses or [])
        self.delay = delay
        self.bodies: list[dict[str, Any]] = []
        self.hits = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                receiver.hits += 1
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.bodies.append(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver_factory() -> Iterator[Any]:
    made: list[Receiver] = []

    def make(statuses: list[int] | None = None, delay: float = 0.0) -> Receiver:
        r = Receiver(statuses, delay)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_alerts_are_delivered_as_json(receiver_factory: Any) -> None:
    r = receiver_factory()
    sender = WebhookSender(r.url)
    assert sender.submit({"type": "alert", "text": "ALERT: web: Memory usage 91.0%"})
    stats = sender.close(flush_timeout=5)
    assert stats.delivered == 1 and stats.failed == 0
    assert r.bodies == [{"type": "alert", "text": "ALERT: web: Memory usage 91.0%"}]


def test_a_failing_receiver_is_retried_with_backoff(receiver_factory: Any) -> None:
    r = receiver_factory([500, 503])
    sender = WebhookSender(r.url, attempts=4, backoff=0.05)
    sender.submit({"n": 1})
    wait_until(lambda: sender.stats.delivered == 1)
    stats = sender.close()
    assert r.hits == 3 and stats.attempts == 3 and stats.failed == 0 and stats.last_error == "HTTP 503"


def test_retries_are_bounded_and_final_errors_not_retried(receiver_factory: Any) -> None:
    down = receiver_factory([500] * 10)
    sender = WebhookSender(down.url, attempts=3, backoff=0.05)
    sender.submit({"n": 1})
    wait_until(lambda: sender.stats.failed == 1)
    assert down.hits == 3
    sender.close()
    refused = receiver_factory([404])
    sender = WebhookSender(refused.url, attempts=3, backoff=0.05)
    sender.submit({"n": 2})
    wait_until(lambda: sender.stats.failed == 1)
    assert refused.hits == 1  # a 404 will not get better by asking again
    sender.close()


def test_a_hanging_receiver_never_blocks_and_shutdown_is_bounded(receiver_factory: Any) -> None:
    slow = receiver_factory(delay=3.0)
    sender = WebhookSender(slow.url, attempts=5, timeout=1.0, queue_size=5, backoff=0.1)
    began = time.monotonic()
    accepted = [sender.submit({"n": i}) for i in range(20)]
    assert time.monotonic() - began < 0.1  # submit only queues
    assert accepted.count(True) >= 5 and sender.stats.dropped == accepted.count(False)
    began = time.monotonic()
    stats = sender.close(flush_timeout=1.5)
    assert time.monotonic() - began < 4.0
    assert stats.delivered == 0 and stats.dropped + stats.failed == 20


def test_an_unreachable_receiver_is_an_error_value_not_a_crash() -> None:
    sender = WebhookSender("http://127.0.0.1:9/hook", attempts=2, backoff=0.01)
    sender.submit({"n": 1})
    wait_until(lambda: sender.stats.failed == 1)
    assert "ConnectError" in (sender.close().last_error or "")
    with pytest.raises(InputError):
        WebhookSender("ftp://127.0.0.1/x")


@pytest.mark.docker
def test_the_monitor_keeps_its_pace_while_the_receiver_fails(
    docker_engine: Any, hbtest: Any, containers: Any, receiver_factory: Any
) -> None:
    """A receiver that answers 500 after 2 s: alerts are retried in the background, ticks stay on time."""
    failing = receiver_factory([500] * 100, delay=2.0)
    hog = containers(hbtest.tag, ["cpuhog", "1", "30", "0", "1"], nano_cpus=500_000_000)
    sender = WebhookSender(failing.url, attempts=3, timeout=5.0, backoff=0.2)
    ticks: list[float] = []

    def sink(record: Any) -> None:
        if isinstance(record, Tick):
            ticks.append(time.monotonic())
        else:
            sender.submit(record.to_json())

    Monitor(
        docker_engine, [hog.name], thresholds=Thresholds(cpu=1, memory=0.0001, hysteresis=0), interval=0.5
    ).run([sink], count=8)
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) == 8 and max(gaps) < 1.5, gaps  # a blocked sink would show 2 s gaps
    assert sender.stats.submitted >= 2  # cpu and memory alerts went to the webhook
    stats = sender.close(flush_timeout=1.0)
    assert stats.delivered == 0 and failing.hits >= 1
