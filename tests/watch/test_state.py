"""The state DB: schema versioning, digests and their history, the SLA timestamps of each CVE."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hardbake.build.plan import ImageLock
from hardbake.debian.lock import ArchLock
from hardbake.errors import EnvError
from hardbake.watch.state import Observation, StateDB


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def empty_lock() -> ImageLock:
    return ImageLock(
        "img", "debian-13", "sha256:" + "a" * 64, {"amd64": ArchLock("amd64", (), (), (), {}, (), ())}
    )


def publish(db: StateDB, digest: str) -> None:
    db.publish(name="img:1", family="img", tags=["1", "latest"], spec="/s.yaml", repository="r/img",
               digest=digest, lock=empty_lock(), packages=[{"name": "a"}], rebuild_id=None)  # fmt: skip


def test_schema_is_versioned(tmp_path: Path) -> None:
    p = tmp_path / "state.sqlite"
    StateDB.open(p).close()
    conn = sqlite3.connect(p)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(EnvError, match="schema version 99"):
        StateDB.open(p)


def test_not_a_state_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "junk.sqlite"
    p.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(EnvError, match="cannot open state DB"):
        StateDB.open(p)


def test_digests_current_and_history(tmp_path: Path) -> None:
    clock = Clock()
    with StateDB.open(tmp_path / "s.sqlite", clock=clock) as db:
        assert db.image("img:1") is None
        publish(db, "sha256:" + "1" * 64)
        clock.advance(hours=1)
        publish(db, "sha256:" + "2" * 64)
        img = db.image("img:1")
        assert img is not None and img.digest == "sha256:" + "2" * 64 and img.tags == ("1", "latest")
        assert img.lock == empty_lock() and img.packages == ({"name": "a"},)
        hist = db.digest_history("img:1")
        assert [h["digest"][-1] for h in hist] == ["1", "2"]
        assert hist[0]["superseded_at"] == "2025-01-01T01:00:00+00:00" and hist[1]["superseded_at"] is None
        # the same digest again is not a new history entry
        publish(db, "sha256:" + "2" * 64)
        assert len(db.digest_history("img:1")) == 2


def test_runs_and_rebuilds_are_recorded(tmp_path: Path) -> None:
    clock = Clock()
    with StateDB.open(tmp_path / "s.sqlite", clock=clock) as db:
        run = db.start_run(False)
        rid = db.record_rebuild(
            run_id=run, image="img:1", started_at=clock(), outcome="test-failed", reasons=["x changed"],
            changes=[{"package": "x"}], old_digest="sha256:" + "1" * 64, new_digest="sha256:" + "3" * 64,
            tests=[{"name": "t", "passed": False, "output": "BROKEN"}], vulns_fixed=[], verified=None,
            error="test step(s) failed", lock_sha256="ab",
        )  # fmt: skip
        db.finish_run(run, {"test-failed": 1})
        (r,) = db.rebuilds("img:1")
        assert r.id == rid and r.outcome == "test-failed" and r.tests[0]["output"] == "BROKEN"
        assert r.lock_sha256 == "ab" and r.verified is None and r.to_json()["reasons"] == ["x changed"]


def obs(vuln: str, *, fix: bool, state: str = "fixed-available", via: str = "scan") -> Observation:
    return Observation(vuln, "src", "high", False, state, "1.1" if fix else None, fix, via)


def test_sla_timestamps_first_seen_fix_available_fixed_published(tmp_path: Path) -> None:
    clock = Clock()
    t0 = clock()
    with StateDB.open(tmp_path / "s.sqlite", clock=clock) as db:
        db.observe("img:1", [obs("CVE-1", fix=False, state="affected")])
        clock.advance(days=2)
        db.observe("img:1", [obs("CVE-1", fix=True)])  # the archive now has the fix
        clock.advance(days=1)
        db.observe("img:1", [obs("CVE-1", fix=True)])  # still open: the clock does not restart
        (row,) = db.vulns("img:1")
        assert row.first_seen == t0 and row.fix_available_at == t0 + timedelta(days=2)
        clock.advance(hours=5)
        db.resolve("img:1", [("CVE-1", "src")], "sha256:" + "9" * 64)
        (row,) = db.vulns("img:1")
        assert row.fixed_published_at == t0 + timedelta(days=3, hours=5) and row.fixed_digest.endswith("9")  # type: ignore[union-attr]
        assert db.vulns("img:1", open_only=True) == []
        # a regression (the published image shows it again) reopens it
        db.observe("img:1", [obs("CVE-1", fix=False, state="affected")])
        (row,) = db.vulns("img:1", open_only=True)
        assert row.fixed_published_at is None and row.fix_available_at == t0 + timedelta(days=2)


def test_resolve_sets_fix_available_when_fix_and_publication_came_together(tmp_path: Path) -> None:
    clock = Clock()
    with StateDB.open(tmp_path / "s.sqlite", clock=clock) as db:
        db.observe("img:1", [obs("CVE-2", fix=False, state="affected")])
        clock.advance(minutes=10)
        db.resolve("img:1", [("CVE-2", "src")], "sha256:" + "8" * 64)
        (row,) = db.vulns()
        assert row.fix_available_at == row.fixed_published_at == clock()


def test_a_cve_no_scan_reports_any_more_is_withdrawn_not_fixed(tmp_path: Path) -> None:
    clock = Clock()
    with StateDB.open(tmp_path / "s.sqlite", clock=clock) as db:
        db.observe(
            "img:1", [obs("CVE-3", fix=False, state="no-dsa"), obs("CVE-4", fix=True, via="changelog")]
        )
        db.observe("img:1", [])  # re-triaged away; the changelog-only row is not a scan's to withdraw
        rows = {r.vuln: r for r in db.vulns()}
        assert rows["CVE-3"].state == "withdrawn" and rows["CVE-3"].fixed_published_at is None
        assert rows["CVE-4"].state == "fixed-available"


def test_alerts_are_remembered_per_level_and_sink(tmp_path: Path) -> None:
    with StateDB.open(tmp_path / "s.sqlite") as db:
        assert not db.alerted("img:1", "CVE-1", "src", "warning", "webhook:x")
        db.record_alert("img:1", "CVE-1", "src", "warning", "webhook:x")
        db.record_alert("img:1", "CVE-1", "src", "warning", "webhook:x")
        assert db.alerted("img:1", "CVE-1", "src", "warning", "webhook:x")
        assert not db.alerted("img:1", "CVE-1", "src", "breached", "webhook:x")
        assert not db.alerted("img:1", "CVE-1", "src", "warning", "jsonl:/a")
