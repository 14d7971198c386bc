"""Debian version ordering, property-tested against `dpkg --compare-versions`."""

from __future__ import annotations

import itertools
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardbake.debian.version import DebVersion, InvalidVersion, compare, satisfies


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0", "1.0", 0),
        ("1.0~rc1", "1.0", -1),  # '~' sorts before the end of the string
        ("1.0~~", "1.0~", -1),
        ("1.0", "1.0.0", -1),
        ("1.0a", "1.0+", -1),  # letters before non-letters
        ("1:0.1", "2.0", 1),  # epoch wins
        ("2.0-1", "2.0-1~bpo1", 1),
        ("1.0", "1.0-0", 0),
        ("1.01", "1.1", 0),  # digit runs compare numerically
        ("3.0.15-1~deb12u1", "3.0.15-1", -1),
        ("3.0.17-1~deb12u2", "3.0.15-1~deb12u1", 1),
        ("2.36-9+deb12u10", "2.36-9+deb12u9", 1),
        ("1.2.3+dfsg-1", "1.2.3-1", 1),
    ],
)
def test_known_orderings(a: str, b: str, expected: int) -> None:
    assert compare(a, b) == expected


@pytest.mark.parametrize("bad", ["", " 1.0", "a1.0", "1.0-", "x:1.0", "1.0 beta", "1.0-a_b"])
def test_invalid_versions_are_refused(bad: str) -> None:
    with pytest.raises(InvalidVersion):
        DebVersion(bad)


def test_relations() -> None:
    v = DebVersion("2.36-9")
    assert satisfies(v, ">=", DebVersion("2.36"))
    assert satisfies(v, "<<", DebVersion("2.37"))
    assert not satisfies(v, ">>", DebVersion("2.36-9"))
    assert satisfies(v, "=", DebVersion("2.36-9"))


_chars = st.sampled_from(list("0123456789abcz.+~AZ"))
_digitsfirst = st.tuples(st.sampled_from("0123456789"), st.text(_chars, max_size=6)).map("".join)
_revision = st.text(st.sampled_from(list("0123456789abz.+~")), min_size=1, max_size=5)
_version = st.builds(
    lambda e, u, r: (f"{e}:" if e is not None else "") + u + (f"-{r}" if r else ""),
    st.one_of(st.none(), st.integers(0, 3)),
    _digitsfirst,
    st.one_of(st.none(), _revision),
)


def _dpkg_compare(pairs: list[tuple[str, str]]) -> list[int]:
    """Ask dpkg about many pairs in one shell run (one process per pair is slow)."""
    script = "\n".join(
        f"if dpkg --compare-versions '{a}' lt '{b}'; then echo -1; "
        f"elif dpkg --compare-versions '{a}' eq '{b}'; then echo 0; else echo 1; fi"
        for a, b in pairs
    )
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout
    return [int(x) for x in out.split()]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_version, _version), min_size=100, max_size=100))
def test_matches_dpkg_on_generated_pairs(pairs: list[tuple[str, str]]) -> None:
    # 25 examples x 100 pairs = 2,500 generated pairs per run, each checked against dpkg.
    ours = [compare(a, b) for a, b in pairs]
    assert ours == _dpkg_compare(pairs)


@given(st.lists(_version, min_size=2, max_size=30))
def test_sorting_is_a_total_order(versions: list[str]) -> None:
    parsed = sorted(DebVersion(v) for v in versions)
    for x, y in itertools.pairwise(parsed):
        assert x <= y
