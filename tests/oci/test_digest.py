from __future__ import annotations

import hashlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.errors import InputError
from hardbake.oci.digest import Digest, VerifyingReader
from hardbake.oci.errors import DigestMismatch


@given(st.binary(max_size=256))
def test_from_bytes_round_trips_through_parse(data: bytes) -> None:
    d = Digest.from_bytes(data)
    assert str(d) == "sha256:" + hashlib.sha256(data).hexdigest()
    assert Digest.parse(str(d)) == d


@given(st.text(max_size=80))
def test_parse_accepts_only_sha256_hex(text: str) -> None:
    ok = text.startswith("sha256:") and len(text) == 71 and all(c in "0123456789abcdef" for c in text[7:])
    if ok:
        assert str(Digest.parse(text)) == text
    else:
        with pytest.raises(InputError):
            Digest.parse(text)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("sha512:" + "a" * 128, "unsupported digest algorithm"),
        ("sha256:" + "A" * 64, "64 lowercase hex"),
        ("a" * 64, "expected sha256:"),
        ("sha256:abc", "64 lowercase hex"),
    ],
)
def test_parse_errors_say_what_was_expected(bad: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        Digest.parse(bad)


def test_verifying_reader_passes_good_bytes() -> None:
    data = b"x" * 3_000_000
    r = VerifyingReader(io.BytesIO(data), Digest.from_bytes(data), len(data), "blob")
    assert r.read() == data
    assert r.verified


@pytest.mark.parametrize(
    ("stored", "match"),
    [(b"hello world", "expected digest"), (b"hello", "expected 11 bytes"), (b"hello world!!", "more than")],
)
def test_verifying_reader_refuses_other_bytes(stored: bytes, match: str) -> None:
    expected = b"hello worle" if stored == b"hello world" else b"hello world"
    r = VerifyingReader(io.BytesIO(stored), Digest.from_bytes(expected), len(expected), "layer 3")
    with pytest.raises(DigestMismatch, match=f"layer 3: .*{match}"):
        while r.read(4):
            pass


def test_drain_verifies_what_the_consumer_did_not_read() -> None:
    r = VerifyingReader(io.BytesIO(b"abcdef"), Digest.from_bytes(b"abcdeg"), 6, "blob")
    assert r.read(2) == b"ab"
    with pytest.raises(DigestMismatch):
        r.drain()
