"""The base of hardbake's read-only raw streams (verifying, counting, slicing, decompressing).

Each of them is defined by its `read(n)`; `io.RawIOBase` also wants `readinto()` (what
`io.BufferedReader`, `shutil.copyfileobj` and `readall()` call), which is always the same copy
of what `read()` returned, so it is written once here.
"""

from __future__ import annotations

import io
from typing import Any


class ReadStream(io.RawIOBase):
    """A readable raw stream whose subclass defines `read(n)`."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)
