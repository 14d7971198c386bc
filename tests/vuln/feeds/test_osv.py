"""OSV: the real PyPI sample, single files, directories, zip dumps, Debian records, bad ranges."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from hardbake.vuln.feeds import FEEDS
from hardbake.vuln.feeds.interface import AffectedPackage, Document, VulnRecord
from hardbake.vuln.feeds.osv import FEED
from hardbake.vuln.feeds.source import assign, load
from hardbake.vuln.interface import Ecosystem
from hardbake.vuln.state import FeedFormatError


def osv(vid: str, eco: str, name: str, ranges: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {
        "id": vid,
        "modified": "2024-01-01T00:00:00Z",
        "aliases": [f"CVE-{vid[-9:]}"] if "-" in vid else [],
        "affected": [{"package": {"ecosystem": eco, "name": name}, "ranges": ranges}],
        **kw,
    }


def test_real_pypi_sample(shared_data: Path) -> None:
    loaded = load(str(shared_data / "pypi_pypa_advisory_db_osv.json"))
    groups = assign(loaded, FEEDS)
    assert list(groups) == ["osv"]
    out = FEED.parse(groups["osv"][1])
    vulns = [r for r in out.records if isinstance(r, VulnRecord)]
    affected = [r for r in out.records if isinstance(r, AffectedPackage)]
    assert len(vulns) == 2661 - 10  # ten withdrawn advisories are skipped ...
    assert "10 records skipped: withdrawn" in out.skipped  # ... and said so
    assert all(a.ecosystem is Ecosystem.pypi for a in affected)
    jinja = [a for a in affected if a.name == "jinja2"]
    assert jinja and all(a.name == a.name.lower() for a in jinja)
    # two real records name versions outside PEP 440: the range is dropped and reported
    assert any("PYSEC-2021-371" in s and "0.2.0-n653" in s for s in out.skipped)
    assert out.data_date is not None and out.data_date.startswith("2024-10")


def test_directory_and_zip_dump(tmp_path: Path) -> None:
    recs = [
        osv(
            "GHSA-aaaa-bbbb-cccc",
            "npm",
            "lodash",
            [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}],
        ),
        osv(
            "GO-2024-0001",
            "Go",
            "golang.org/x/net",
            [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.23.0"}]}],
        ),
        osv(
            "GHSA-mmmm-nnnn-oooo",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}]}],
        ),
        osv(
            "DSA-9999-1",
            "Debian:12",
            "foo",
            [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-1+deb12u1"}]}],
        ),
        osv(
            "ALPINE-1",
            "Alpine:v3.19",
            "musl",
            [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.4-r3"}]}],
        ),
    ]
    d = tmp_path / "dump"
    d.mkdir()
    for r in recs:
        (d / f"{r['id']}.txt").write_text(json.dumps(r))  # names do not matter: content decides
    (d / "README").write_text("not a feed\n")
    z = tmp_path / "all.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for r in recs:
            zf.writestr(f"{r['id']}.json", json.dumps(r))
    for where in (d, z):
        loaded = load(str(where))
        groups = assign(loaded, FEEDS)
        out = FEED.parse(groups["osv"][1])
        aff = {a.vuln_id: a for a in out.records if isinstance(a, AffectedPackage)}
        assert aff["GO-2024-0001"].ecosystem is Ecosystem.golang
        assert aff["GHSA-mmmm-nnnn-oooo"].name == "org.apache.logging.log4j:log4j-core"
        assert (aff["DSA-9999-1"].ecosystem, aff["DSA-9999-1"].distro) == (Ecosystem.deb, "debian-12")
        assert "ALPINE-1" not in aff and "1 records skipped: ecosystem Alpine:v3.19" in out.skipped


@pytest.mark.parametrize(
    "ranges",
    [
        [{"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]}],  # no introduced
        [{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1.0"}]}],  # two keys in one event
        [{"type": "RANGE_OF_DREAMS", "events": [{"introduced": "0"}]}],
        [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"patched": "1.0"}]}],
        [{"type": "ECOSYSTEM"}],
    ],
)
def test_invalid_range_fails_the_feed_naming_the_record(ranges: list[dict[str, Any]]) -> None:
    with pytest.raises(FeedFormatError, match="PYSEC-2099-1"):
        FEED.parse([Document("x.json", osv("PYSEC-2099-1", "PyPI", "foo", ranges))])
