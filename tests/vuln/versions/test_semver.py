"""node-semver ranges: our evaluator against npm's own `semver` package, run by the real node.

The reference is the `semver` module Debian's `node-semver` package installs (or npm's bundled
copy); scripts/system-deps installs nodejs and node-semver.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hardbake.vuln.versions import semver

NODE_PATHS = [
    "/usr/share/nodejs",
    "/usr/lib/node_modules/npm/node_modules",
    "/usr/share/nodejs/npm/node_modules",
]
SCRIPT = """
const s = require('semver');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(([v, r]) => {
  try { return s.satisfies(v, r, {loose: true, includePrerelease: true}); } catch (e) { return null; }
});
process.stdout.write(JSON.stringify(out));
"""


def node_satisfies(cases: list[tuple[str, str]]) -> list[bool | None]:
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is missing: run scripts/system-deps (installs nodejs and node-semver)"
    env = {**os.environ, "NODE_PATH": ":".join(NODE_PATHS)}
    p = subprocess.run(
        [node, "-e", SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    result: list[bool | None] = json.loads(p.stdout)
    return result


def ours(v: str, r: str) -> bool:
    return semver.satisfies(v, r)


def test_every_range_of_the_real_advisories(shared_data: Path) -> None:
    data = json.loads((shared_data / "npm_nodejs_security_wg.json").read_text())
    ranges = set()
    for a in data["npm"]:
        for k in ("vulnerable_versions", "patched_versions"):
            if isinstance(a.get(k), str):
                ranges.add(a[k])
    for c in data["core"].values():
        ranges.update((c["vulnerable"], c["patched"]))
    versions = [
        "0.0.1",
        "0.1.0",
        "0.3.3",
        "1.0.0",
        "1.0.0-rc.1",
        "1.1.0",
        "1.5.1",
        "1.5.2",
        "1.7.0-alpha2",
        "2.0.0",
        "2.1.4",
        "2.2.0",
        "3.0.0-beta.7",
        "3.10.2",
        "4.17.11",
        "4.17.19",
        "5.0.3",
        "6.0.2",
        "8.1.4",
        "10.24.1",
        "12.22.1",
        "18.19.1",
        "20.11.0",
        "20.20.2",
        "22.22.2",
        "99.999.99999",
    ]
    cases = [(v, r) for r in sorted(ranges) for v in versions]
    expected = node_satisfies(cases)
    mismatches = [(v, r, e) for (v, r), e in zip(cases, expected, strict=True) if ours(v, r) is not e]
    assert mismatches == []
    assert len(cases) > 10_000


_num = st.integers(0, 12).map(str)
_ver = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}" + (f"-{pre}" if pre else ""),
    _num,
    _num,
    _num,
    st.sampled_from(["", "alpha", "alpha.1", "beta.2", "rc.1", "0"]),
)
_op = st.sampled_from(["", "=", "<", "<=", ">", ">=", "~", "^"])
_partial = st.one_of(
    _ver, st.builds(lambda a, b: f"{a}.{b}", _num, _num), st.builds(lambda a: f"{a}.x", _num)
)
_comparator = st.builds(lambda op, v: f"{op}{v}", _op, _partial)
_set = st.one_of(
    st.lists(_comparator, min_size=1, max_size=3).map(" ".join),
    st.builds(lambda a, b: f"{a} - {b}", _ver, _ver),
)
_range = st.lists(_set, min_size=1, max_size=3).map(" || ".join)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(_ver, _range), min_size=40, max_size=80))
def test_property_agrees_with_npm_semver(cases: list[tuple[str, str]]) -> None:
    expected = node_satisfies(cases)
    for (v, r), e in zip(cases, expected, strict=True):
        assert ours(v, r) is e, (v, r)


@given(_ver, _ver)
def test_sort_key_agrees_with_range_comparison(a: str, b: str) -> None:
    ka, kb = semver.key(a), semver.key(b)
    assert (ka < kb) == semver.satisfies(a, f"<{b}")  # pre-releases included: plain SemVer precedence
    assert (ka == kb) == (a == b)
