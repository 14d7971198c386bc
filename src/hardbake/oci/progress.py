"""What a sink reports while it moves blobs, and a tally of what it did.

Sinks (the registry writer, the layout writer) call a `TransferProgress` from several
threads: `started` when a blob begins to move, `advanced` with the bytes done so far,
`finished` with the outcome (`copied`, `exists`: the destination had it, `mounted`: a
cross-repository mount). The CLI renders it; `Tally` counts it for reports and tests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

from hardbake.oci.descriptor import Descriptor
from hardbake.oci.readstream import ReadStream

Outcome = Literal["copied", "exists", "mounted"]
OUTCOMES: tuple[Outcome, ...] = ("copied", "exists", "mounted")


class TransferProgress:
    """No-op base: subclass and override what you render. Methods may run on any thread."""

    def started(self, desc: Descriptor) -> None:
        """`desc` begins to move."""

    def advanced(self, desc: Descriptor, done: int) -> None:
        """`done` bytes of `desc` have moved so far."""

    def finished(self, desc: Descriptor, outcome: Outcome) -> None:
        """`desc` is at the destination."""


@dataclass
class Tally(TransferProgress):
    """Counts outcomes and bytes moved, and forwards every event to `inner`."""

    inner: TransferProgress = field(default_factory=TransferProgress)
    blobs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    bytes_copied: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def started(self, desc: Descriptor) -> None:
        self.inner.started(desc)

    def advanced(self, desc: Descriptor, done: int) -> None:
        self.inner.advanced(desc, done)

    def finished(self, desc: Descriptor, outcome: Outcome) -> None:
        with self._lock:
            self.blobs[outcome] += 1
            if outcome == "copied":
                self.bytes_copied += desc.size
        self.inner.finished(desc, outcome)

    def to_json(self) -> dict[str, Any]:
        return {**self.blobs, "bytesCopied": self.bytes_copied}


class Observed(ReadStream):
    """A stream that reports how far it has been read (`advanced`) as it goes."""

    def __init__(self, raw: BinaryIO, desc: Descriptor, progress: TransferProgress) -> None:
        super().__init__()
        self._raw, self._desc, self._progress = raw, desc, progress
        self._done = 0

    def read(self, n: int | None = -1) -> bytes:
        data = self._raw.read(-1 if n is None else n)
        if data:
            self._done += len(data)
            self._progress.advanced(self._desc, self._done)
        return data

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()
