"""A member's data read whole (`data().read()`) from a stream that hands out short reads, as a
pipe or an HTTP body does (docker-daemon images): all of it, not the first chunk."""

from __future__ import annotations

import io
import os

from hardbake.oci.tarstream import TarReader
from hardbake.testing.images import tar_bytes, tar_member


class Trickle(io.RawIOBase):
    """At most 700 bytes per read, never seekable."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(min(len(buffer), 700))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_read_without_a_size_returns_the_whole_member() -> None:
    big = os.urandom(106_961)  # the size of a real dpkg status file that came back as 2048 bytes
    data = tar_bytes([(tar_member("var/lib/dpkg/status"), big), (tar_member("etc/hostname"), b"x\n")])
    reader = TarReader(Trickle(data), "trickle")  # type: ignore[arg-type]
    got = {}
    for h in reader:
        got[h.name] = reader.data().read()
    assert got["var/lib/dpkg/status"] == big
    assert got["etc/hostname"] == b"x\n"
