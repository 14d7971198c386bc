"""The SQLite DB: transactional imports (bad input leaves it as it was), metadata, staleness."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hardbake import paths
from hardbake.errors import EnvError, InputError
from hardbake.vuln.db import VulnDB, default_path

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
GOOD = "CVE-2099-0001 (x)\n\t- foo 2.0-1\n\t[bookworm] - foo 1.0-1+deb12u1\n"


def digest(path: Path) -> str:
    """Content of every table, so 'unchanged' means unchanged."""
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    h = hashlib.sha256()
    for t in tables:
        for row in con.execute(f"SELECT * FROM {t} ORDER BY 1, 2"):
            h.update(repr(row).encode())
    con.close()
    return h.hexdigest()


@pytest.fixture()
def db(tmp_path: Path) -> VulnDB:
    d = VulnDB.open(tmp_path / "v.sqlite", clock=lambda: NOW)
    (tmp_path / "good.list").write_text(GOOD)
    d.update([str(tmp_path / "good.list")])
    return d


def test_default_location_is_under_the_cache_dir() -> None:
    assert default_path() == paths.cache_dir() / "vuln" / "vuln.sqlite"
    with VulnDB.open() as d:
        assert d.path.is_file() and d.sources() == []


def test_metadata_per_source(db: VulnDB, tmp_path: Path) -> None:
    (src,) = db.sources()
    assert (src.feed, src.location) == ("debian-tracker-lists", str((tmp_path / "good.list").resolve()))
    assert src.covers == ("deb",) and src.counts == {"debian_rows": 2, "vulnerabilities": 1}
    assert src.imported_at == NOW and len(src.sha256) == 64


def test_reimport_replaces_the_source_rows(db: VulnDB, tmp_path: Path) -> None:
    (tmp_path / "good.list").write_text(GOOD.replace("1.0-1+deb12u1", "1.0-1+deb12u2"))
    db.update([str(tmp_path / "good.list")])
    assert len(db.sources()) == 1
    rows = db.debian_rows("foo")
    assert sorted(r[3] for r in rows) == ["1.0-1+deb12u2", "2.0-1"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("truncated.json", None),  # filled below from the real sample, cut in half
        ("unknown-state.list", "CVE-2099-0002 (x)\n\t- foo <perhaps>\n"),
        (
            "bad-range.json",
            json.dumps(
                {
                    "id": "PYSEC-2099-9",
                    "modified": "2024-01-01T00:00:00Z",
                    "affected": [
                        {
                            "package": {"ecosystem": "PyPI", "name": "foo"},
                            "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]}],
                        }
                    ],
                }
            ),
        ),
    ],
)
def test_bad_feed_leaves_the_db_as_it_was(
    db: VulnDB, tmp_path: Path, shared_data: Path, name: str, content: str | None
) -> None:
    if content is None:
        raw = (shared_data / "pypi_pypa_advisory_db_osv.json").read_bytes()
        (tmp_path / name).write_bytes(raw[: len(raw) * 2 // 3])
    else:
        (tmp_path / name).write_text(content)
    other = tmp_path / "other.list"
    other.write_text("CVE-2099-0003 (y)\n\t- bar 1.0-1\n")
    before = digest(db.path)
    with pytest.raises(InputError):
        db.update([str(other), str(tmp_path / name)])  # the good one is not imported either
    assert digest(db.path) == before
    assert [s.feed for s in db.sources()] == ["debian-tracker-lists"]
    assert db.debian_rows("bar") == []


def test_failure_while_writing_rolls_back(db: VulnDB, tmp_path: Path) -> None:
    (tmp_path / "two.list").write_text("CVE-2099-0004 (z)\n\t- baz 1.0-1\n")
    parsed = VulnDB.parse_location(str(tmp_path / "two.list"))
    db.conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON debian WHEN NEW.source = 'baz' "
        "BEGIN SELECT RAISE(ABORT, 'disk full, say'); END"
    )
    after_trigger = digest(db.path)
    with pytest.raises(sqlite3.DatabaseError, match="disk full"):
        db.write(parsed)
    assert digest(db.path) == after_trigger
    assert db.debian_rows("baz") == []


def test_unrecognised_file_is_an_input_error(tmp_path: Path, shared_data: Path) -> None:
    with VulnDB.open(tmp_path / "v.sqlite") as d, pytest.raises(InputError, match="no known feed format"):
        d.update([str(shared_data / "bookworm_source_versions.json")])


def test_schema_version_mismatch_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "v.sqlite"
    VulnDB.open(p).close()
    con = sqlite3.connect(p)
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(EnvError, match="schema version 999"):
        VulnDB.open(p)


def test_staleness(db: VulnDB, tmp_path: Path) -> None:
    assert db.stale(timedelta(days=7), NOW + timedelta(days=1)) == []
    (warning,) = db.stale(timedelta(days=7), NOW + timedelta(days=10))
    assert "10 days ago" in warning and "max age 7 days" in warning
    with VulnDB.open(tmp_path / "empty.sqlite") as empty:
        assert "empty" in empty.stale(timedelta(days=7))[0]


def test_changelog_import(tmp_path: Path) -> None:
    text = (
        "foo (1.0-2) unstable; urgency=high\n\n  * Fix CVE-2099-0005.\n\n"
        " -- M <m@x>  Mon, 01 Jan 2099 00:00:00 +0000\n"
    )
    with VulnDB.open(tmp_path / "v.sqlite") as d:
        s = d.import_changelog(gzip.compress(text.encode()), "/var/cache/foo_1.0-2.deb!changelog.Debian.gz")
        assert s.counts == {"changelog_fixes": 1}
        assert d.changelog_fixes("foo") == {"CVE-2099-0005": "1.0-2"}


def test_changelog_by_content_through_update(tmp_path: Path) -> None:
    text = "bash (5.2.15-2+b9) bookworm; urgency=medium\n\n  * Fix CVE-2022-3715.\n"
    (tmp_path / "changelog.Debian.gz").write_bytes(gzip.compress(text.encode()))
    with VulnDB.open(tmp_path / "v.sqlite") as d:
        (s,) = d.update([str(tmp_path / "changelog.Debian.gz")])
        assert s.feed == "debian-changelog"
        assert d.changelog_fixes("bash") == {"CVE-2022-3715": "5.2.15-2+b9"}
