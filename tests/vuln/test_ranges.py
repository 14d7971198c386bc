"""OSV range evaluation, property-tested against an interval model of the OSV schema."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardbake.vuln.feeds.interface import AffectedPackage, Document
from hardbake.vuln.feeds.osv import FEED as OSV
from hardbake.vuln.interface import Ecosystem
from hardbake.vuln.ranges import InvalidRange, UnreadableVersion, fixed_version, is_affected, validate

VERSIONS = [f"{a}.{b}.{c}" for a in range(3) for b in range(3) for c in range(3)]
INDEX = {v: i for i, v in enumerate(VERSIONS)}


@st.composite
def well_formed(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[tuple[int, int, bool]]]:
    """Alternating introduced / (fixed | last_affected) events and the intervals they mean."""
    points = sorted(draw(st.sets(st.integers(0, len(VERSIONS) - 1), min_size=1, max_size=8)))
    zero = draw(st.booleans())
    events: list[dict[str, str]] = []
    intervals: list[tuple[int, int, bool]] = []  # (start, end, end inclusive)
    it = iter(points)
    first = True
    for p in it:
        start = -1 if (first and zero) else p
        events.append({"introduced": "0" if start == -1 else VERSIONS[p]})
        first = False
        end = next(it, None)
        if end is None:
            intervals.append((start, len(VERSIONS), False))
            break
        kind = draw(st.sampled_from(["fixed", "last_affected"]))
        events.append({kind: VERSIONS[end]})
        intervals.append((start, end, kind == "last_affected"))
    shuffled = draw(st.permutations(events))  # events need not be sorted in the data
    return list(shuffled), intervals


@settings(max_examples=300, deadline=None)
@given(well_formed(), st.sampled_from(VERSIONS), st.sampled_from(["SEMVER", "ECOSYSTEM"]))
def test_matches_the_interval_model(
    case: tuple[list[dict[str, str]], list[tuple[int, int, bool]]], v: str, rtype: str
) -> None:
    events, intervals = case
    r = {"type": rtype, "events": events}
    validate(Ecosystem.npm, [r])
    i = INDEX[v]
    expected = any(s <= i and (i <= e if incl else i < e) for s, e, incl in intervals)
    assert is_affected(Ecosystem.npm, v, [r]) is expected


@settings(max_examples=100, deadline=None)
@given(well_formed(), st.sampled_from(VERSIONS), st.sampled_from(VERSIONS))
def test_limit_cuts_the_range(
    case: tuple[list[dict[str, str]], list[tuple[int, int, bool]]], v: str, limit: str
) -> None:
    events, _ = case
    with_limit = {"type": "SEMVER", "events": [*events, {"limit": limit}]}
    without = {"type": "SEMVER", "events": events}
    expected = is_affected(Ecosystem.npm, v, [without]) and INDEX[v] < INDEX[limit]
    assert is_affected(Ecosystem.npm, v, [with_limit]) is expected


def test_pypi_ordering_versions_list_and_git() -> None:
    r = [
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.10.1"}]},
        {"type": "GIT", "repo": "x", "events": [{"introduced": "0"}, {"fixed": "abc123"}]},
    ]
    assert is_affected(Ecosystem.pypi, "2.10", r)  # PEP 440: 2.10 > 2.9
    assert is_affected(Ecosystem.pypi, "2.10.0rc1", r)
    assert not is_affected(Ecosystem.pypi, "2.10.1", r)
    assert not is_affected(Ecosystem.pypi, "1.9", r)
    # "1.0" == "1.0.0" under PEP 440: the OSV importer stores listed PyPI versions canonicalised
    pkg = {"ecosystem": "PyPI", "name": "Foo_Bar"}
    rec = {
        "id": "PYSEC-2099-2",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": pkg, "versions": ["1.0.0", "2.0rc1"]}],
    }
    (aff,) = [r for r in OSV.parse([Document("x", rec)]).records if isinstance(r, AffectedPackage)]
    assert aff.name == "foo-bar"
    assert is_affected(Ecosystem.pypi, "1.0", [], aff.versions)
    assert is_affected(Ecosystem.pypi, "2.0.0-rc.1", [], aff.versions)
    assert not is_affected(Ecosystem.pypi, "1.0.1", [], aff.versions)
    assert fixed_version(Ecosystem.pypi, "2.3", r) == "2.10.1"


def test_maven_and_debian_ecosystem_ranges() -> None:
    mvn = [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}]}]
    assert is_affected(Ecosystem.maven, "2.14.1", mvn)
    assert is_affected(Ecosystem.maven, "2.0", mvn)  # a release sorts after its betas
    assert not is_affected(Ecosystem.maven, "2.15", mvn)  # 2.15 == 2.15.0
    deb = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.3.dfsg-2"}]}]
    assert is_affected(Ecosystem.deb, "1:1.2.13.dfsg-1", deb)
    assert is_affected(Ecosystem.deb, "1.4-1", deb)  # epoch 0 < epoch 1, whatever the upstream part
    assert not is_affected(Ecosystem.deb, "1:1.3.dfsg-2", deb)


@pytest.mark.parametrize(
    ("ranges", "error"),
    [
        (
            [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "not a version"}]}],
            UnreadableVersion,
        ),
        ([{"type": "ECOSYSTEM", "events": []}], InvalidRange),
        ([{"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]}], InvalidRange),
        ([{"type": "NODE_SEMVER", "vulnerable": "not a range"}], Exception),
    ],
)
def test_validation(ranges: list[dict[str, Any]], error: type[Exception]) -> None:
    with pytest.raises(error):
        validate(Ecosystem.pypi, ranges)
