"""Alert delivery to a webhook: a background worker that never blocks the monitor.

The monitor hands each alert to `submit`, which only puts it on a bounded queue (and counts
it as dropped when the queue is full). One worker thread POSTs the JSON, retrying connection
errors, timeouts, 429 and 5xx with exponential backoff up to a fixed number of attempts; other
4xx answers are final. `close` gives the worker a bounded time to flush, then abandons the rest,
so a dead receiver can delay shutdown by at most that much.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from hardbake import webhook


@dataclass
class DeliveryStats:
    submitted: int = 0
    delivered: int = 0
    failed: int = 0  # gave up after the last attempt, or refused with a final 4xx
    dropped: int = 0  # queue full, or still queued when the flush time ran out
    attempts: int = 0
    last_error: str | None = None


class WebhookSender:
    def __init__(
        self,
        url: str,
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        timeout: float = 5.0,
        queue_size: int = 1000,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = webhook.check_url(url)
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.stats = DeliveryStats()
        self._queue: queue.Queue[Mapping[str, Any]] = queue.Queue(maxsize=queue_size)
        self._client = webhook.client(timeout, transport)
        self._clock = clock
        self._closing = threading.Event()
        self._deadline: float | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="hardbake-webhook", daemon=True)
        self._thread.start()

    def submit(self, payload: Mapping[str, Any]) -> bool:
        """Queue `payload` for delivery; never blocks. False if it was dropped (queue full or closed)."""
        with self._lock:
            self.stats.submitted += 1
            if self._closing.is_set():
                self.stats.dropped += 1
                return False
            try:
                self._queue.put_nowait(payload)
            except queue.Full:
                self.stats.dropped += 1
                return False
        return True

    def close(self, flush_timeout: float = 5.0) -> DeliveryStats:
        """Stop taking alerts, deliver what is queued for up to `flush_timeout` seconds, then give up."""
        self._deadline = self._clock() + flush_timeout
        self._closing.set()
        self._thread.join(timeout=flush_timeout + 1.0)
        with self._lock:
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
                self.stats.dropped += 1
        self._client.close()
        return self.stats

    def _expired(self) -> bool:
        return self._deadline is not None and self._clock() >= self._deadline

    def _run(self) -> None:
        while True:
            if self._closing.is_set() and (self._queue.empty() or self._expired()):
                return
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            self._deliver(item)

    def _deliver(self, payload: Mapping[str, Any]) -> None:
        for attempt in range(1, self.attempts + 1):
            with self._lock:
                self.stats.attempts += 1
            timeout = self.timeout
            if self._deadline is not None:
                timeout = min(timeout, max(0.1, self._deadline - self._clock()))
            try:
                done = webhook.post(self._client, self.url, payload, timeout)
            except RuntimeError as e:  # the client was closed under us
                done = webhook.Attempt(False, f"RuntimeError: {e}", retry=True)
            if done.delivered:
                with self._lock:
                    self.stats.delivered += 1
                return
            with self._lock:
                self.stats.last_error = done.error
            if not done.retry or attempt == self.attempts or self._expired():
                break
            delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            if self._deadline is not None:
                delay = min(delay, max(0.0, self._deadline - self._clock()))
            # Sleep on the closing event's clock: a close() cuts the wait short only at its deadline.
            end = self._clock() + delay
            while (remaining := end - self._clock()) > 0:
                if self._expired():
                    break
                time.sleep(min(remaining, 0.05))
        with self._lock:
            self.stats.failed += 1
