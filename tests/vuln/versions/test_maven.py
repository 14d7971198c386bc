"""Maven ComparableVersion ordering: maven-artifact's own test vectors, plus order properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hardbake.vuln.versions.maven import MavenVersion

# maven-artifact 3.0-3.8 ComparableVersionTest (VERSIONS_QUALIFIER, VERSIONS_NUMBER): strictly increasing
QUALIFIER_ORDER = [
    "1-alpha2snapshot",
    "1-alpha2",
    "1-alpha-123",
    "1-beta-2",
    "1-beta123",
    "1-m2",
    "1-m11",
    "1-rc",
    "1-cr2",
    "1-rc123",
    "1-SNAPSHOT",
    "1",
    "1-sp",
    "1-sp2",
    "1-sp123",
    "1-abc",
    "1-def",
    "1-pom-1",
    "1-1-snapshot",
    "1-1",
    "1-2",
    "1-123",
]
NUMBER_ORDER = [
    "2.0",
    "2-1",
    "2.0.a",
    "2.0.0.a",
    "2.0.2",
    "2.0.123",
    "2.1.0",
    "2.1-a",
    "2.1b",
    "2.1-c",
    "2.1-1",
    "2.1.0.1",
    "2.2",
    "2.123",
    "11.a2",
    "11.a11",
    "11.b2",
    "11.b11",
    "11.m2",
    "11.m11",
    "11",
    "11.a",
    "11b",
    "11c",
    "11m",
]
EQUAL = [
    ("1", "1.0"),
    ("1", "1.0.0"),
    ("1.0", "1.0.0"),
    ("1", "1-0"),
    ("1", "1.0-0"),
    ("1.0", "1.0-0"),
    ("1a", "1-a"),
    ("1a", "1.0-a"),
    ("1a", "1.0.0-a"),
    ("1.0a", "1-a"),
    ("1x", "1-x"),
    ("1-ga", "1"),
    ("1-final", "1"),
    ("1-release", "1"),
    ("1-cr", "1-rc"),
    ("1a1", "1-alpha-1"),
    ("1b2", "1-beta-2"),
    ("1m3", "1-milestone-3"),
    ("1X", "1x"),
    ("1A", "1a"),
    ("1-GA", "1"),
]


def test_maven_orderings() -> None:
    for seq in (QUALIFIER_ORDER, NUMBER_ORDER):
        vs = [MavenVersion(v) for v in seq]
        for i in range(len(vs) - 1):
            assert vs[i] < vs[i + 1], (seq[i], seq[i + 1])


def test_maven_equalities() -> None:
    for a, b in EQUAL:
        assert MavenVersion(a) == MavenVersion(b), (a, b)
        assert hash(MavenVersion(a)) == hash(MavenVersion(b))


_part = st.one_of(
    st.integers(0, 20).map(str), st.sampled_from(["alpha", "beta", "rc", "sp", "ga", "final", "x", "a1"])
)
# Maven 3.x's ComparableVersion itself is not transitive for versions that are a bare
# qualifier or normalise to nothing ('0' < 'sp' < '0.alpha' < '0'), so the property is
# stated over versions that start with a non-zero release number, as advisories' versions do.
_mvn = st.tuples(
    st.integers(1, 20).map(str), st.lists(st.tuples(st.sampled_from([".", "-"]), _part), max_size=4)
).map(lambda t: t[0] + "".join(s + p for s, p in t[1]))


@given(_mvn, _mvn, _mvn)
def test_total_order(a: str, b: str, c: str) -> None:
    x, y, z = MavenVersion(a), MavenVersion(b), MavenVersion(c)
    assert (x < y) + (y < x) + (x == y) == 1
    if x <= y and y <= z:
        assert x <= z
