from __future__ import annotations

import gzip
import hashlib
import random
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from hardbake.oci.deflate import CHUNK, GzipWriter


def _compress(pieces: list[bytes], *, workers: int, level: int = 4) -> tuple[bytes, str, int]:
    out: list[bytes] = []
    with ThreadPoolExecutor(workers) as pool:
        gz = GzipWriter(out.append, level=level, executor=pool, workers=workers)
        for p in pieces:
            gz.write(p)
        digest, size = gz.close()
    return b"".join(out), str(digest), size


def _data(n: int) -> bytes:
    rng = random.Random(n)
    words = [rng.randbytes(rng.randrange(1, 12)) for _ in range(500)]
    out = bytearray()
    while len(out) < n:
        out += rng.choice(words)
    return bytes(out[:n])


@pytest.mark.parametrize("n", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 12345])
def test_output_is_standard_gzip_and_independent_of_threads_and_write_sizes(n: int) -> None:
    data = _data(n)
    one, digest, size = _compress([data], workers=1)
    assert gzip.decompress(one) == data
    assert zlib.decompress(one, 31) == data  # a single gzip member
    assert digest == "sha256:" + hashlib.sha256(data).hexdigest() and size == n
    pieces = [data[i : i + 777] for i in range(0, n, 777)]
    assert _compress(pieces, workers=3)[0] == one


def test_header_has_no_name_and_no_time() -> None:
    out, _, _ = _compress([b"x"], workers=1)
    assert out[:4] == b"\x1f\x8b\x08\x00"  # no FNAME/FEXTRA/FCOMMENT flags
    assert out[4:8] == b"\0\0\0\0"  # mtime 0
    assert out[9] == 255


def test_level_changes_output_and_is_checked() -> None:
    data = _data(200_000)
    assert _compress([data], workers=1, level=1)[0] != _compress([data], workers=1, level=9)[0]
    with pytest.raises(ValueError, match=r"0\.\.9"):
        _compress([data], workers=1, level=10)
