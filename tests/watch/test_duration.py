"""Durations: the one grammar of --interval, SLA limits and warning windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.errors import InputError
from hardbake.watch.duration import format_duration, parse_duration, positive_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("7d", timedelta(days=7)),
        ("36h", timedelta(hours=36)),
        ("2w", timedelta(weeks=2)),
        ("90s", timedelta(seconds=90)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1.5h", timedelta(minutes=90)),
        ("120", timedelta(seconds=120)),
        (" 5M ", timedelta(minutes=5)),
    ],
)
def test_parses(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "d", "7x", "15 minutes", "-3d", "1d garbage"])
def test_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(InputError) as e:
        parse_duration(text, what="--interval")
    assert "--interval" in e.value.message


def test_zero_is_not_a_positive_duration() -> None:
    with pytest.raises(InputError, match="longer than zero"):
        positive_duration("0s")


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (timedelta(days=6, hours=23, minutes=5), "6d 23h"),
        (timedelta(minutes=45), "45m"),
        (timedelta(hours=2, minutes=5), "2h 5m"),
        (-timedelta(hours=2, minutes=5), "-2h 5m"),
        (timedelta(0), "0s"),
        (timedelta(seconds=12), "12s"),
    ],
)
def test_formats_short_and_signed(d: timedelta, text: str) -> None:
    assert format_duration(d) == text


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from("smhdw"))
def test_every_number_and_unit_parses_to_its_seconds(n: int, unit: str) -> None:
    factor = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    assert parse_duration(f"{n}{unit}") == timedelta(seconds=n * factor)
