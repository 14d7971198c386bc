"""CVEs an upgrade fixes: from the new .deb's changelog, and from scans of before and after."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hardbake.testing.debs import build_deb
from hardbake.testing.watchlab import changelog, message_package
from hardbake.vuln import VulnDB
from hardbake.watch import vulns

TRACKER = {
    "liba": {
        "CVE-2099-0001": {
            "releases": {"trixie": {"status": "resolved", "fixed_version": "1.1-1", "urgency": "high"}}
        },
        "CVE-2099-0002": {
            "releases": {"trixie": {"status": "open", "urgency": "low", "nodsa": "Minor issue"}}
        },
    }
}


def test_changelog_of_a_real_deb_and_what_it_fixes(tmp_path: Path) -> None:
    spec = message_package("liba", "1.2-1", "x", [("1.2-1", ["CVE-2099-0003"]), ("1.1-1", ["CVE-2099-0001"]),
                                                   ("1.0-1", ["CVE-2000-0001"])])  # fmt: skip
    deb = build_deb(spec, tmp_path)
    text = vulns.changelog_of(deb, "liba")
    assert text is not None and text.startswith(b"liba (1.2-1)")
    fixed = vulns.fixed_between(text, "1.0-1", "1.2-1", "liba changelog")
    assert sorted(f.vuln for f in fixed) == ["CVE-2099-0001", "CVE-2099-0003"]
    assert {f.vuln: f.version for f in fixed}["CVE-2099-0001"] == "1.1-1"
    assert vulns.fixed_between(text, "1.1-1", "1.1-1", "x") == []
    assert vulns.changelog_of(deb, "other") is None
    assert vulns.fixed_between(b"not a changelog", "1", "2", "x") == []
    assert changelog("p", [("1", ())]).startswith(b"\x1f\x8b")


def test_observations_from_scans_and_changelogs(tmp_path: Path) -> None:
    import json

    (tmp_path / "tracker.json").write_text(json.dumps(TRACKER))
    with VulnDB.open(tmp_path / "v.sqlite", clock=lambda: datetime(2025, 1, 1, tzinfo=UTC)) as db:
        db.update([str(tmp_path / "tracker.json")])
        old = [
            {"name": "liba", "version": "1.0-1", "source": "liba", "source_version": "1.0-1", "arch": "amd64"}
        ]
        new = [dict(old[0], version="1.1-1", source_version="1.1-1")]
        pub = vulns.scan_packages("img", "debian-13", old, db)
        cand = vulns.scan_packages("img", "debian-13", new, db)
        assert set(vulns.open_findings(pub)) == {("CVE-2099-0001", "liba"), ("CVE-2099-0002", "liba")}
        assert set(vulns.open_findings(cand)) == {("CVE-2099-0002", "liba")}
        from_log = {("CVE-2099-0009", "liba"): vulns.ChangelogFix("CVE-2099-0009", "liba", "1.1-1")}
        obs = {o.vuln: o for o in vulns.observations(pub, cand, from_log, db)}
        assert obs["CVE-2099-0001"].fix_in_archive and obs["CVE-2099-0001"].severity == "high"
        assert not obs["CVE-2099-0002"].fix_in_archive and obs["CVE-2099-0002"].state == "no-dsa"
        assert obs["CVE-2099-0009"].via == "changelog" and obs["CVE-2099-0009"].fix_in_archive
        # nothing rebuilt: nothing is fixable yet
        assert not any(o.fix_in_archive for o in vulns.observations(pub, None, {}, db))
