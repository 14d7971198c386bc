"""One severity scale: CVSS bands, vendor labels, Debian urgency; unknown is never low."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardbake.errors import InputError
from hardbake.vuln.severity import Severity, cvss_score, from_score, from_urgency
from hardbake.vuln.state import State


def test_cvss_vectors() -> None:
    assert cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert cvss_score("AV:N/AC:L/Au:N/C:P/I:P/A:P") == 7.5
    assert cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N") == 9.3
    assert cvss_score("garbage") is None


@given(st.floats(0, 10))
def test_score_bands_are_monotonic(x: float) -> None:
    assert from_score(x) <= from_score(min(10.0, x + 1.0))
    assert from_score(x) is not Severity.unknown


def test_bands() -> None:
    assert [from_score(s).value for s in (0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10.0)] == [
        "negligible",
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "critical",
        "critical",
    ]


def test_urgency_mapping() -> None:
    assert from_urgency("unimportant") is Severity.negligible
    assert from_urgency("low**") is Severity.low
    assert from_urgency("high") is Severity.high
    for u in (None, "", "not yet assigned", "end-of-life"):
        assert from_urgency(u) is Severity.unknown  # never silently low


def test_parse_and_order() -> None:
    assert Severity.parse("Moderate") is Severity.medium
    assert Severity.unknown < Severity.negligible < Severity.low < Severity.critical
    with pytest.raises(InputError):
        Severity.parse("severe")
    assert State.parse("will-not-fix") is State.ignored
    assert not State.fixed.open and State.no_dsa.open


def test_parse_age() -> None:
    from datetime import timedelta

    from hardbake.vuln import parse_age

    assert parse_age("7d") == timedelta(days=7) and parse_age("48h") == timedelta(hours=48)
    assert parse_age("2w") == timedelta(weeks=2)
    with pytest.raises(InputError):
        parse_age("soon")
