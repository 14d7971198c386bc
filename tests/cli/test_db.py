"""`hardbake db update|status` through the real CLI app."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hardbake.cli.main import app


def test_update_then_status(tmp_path: Path, shared_data: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "v.sqlite"
    r = runner.invoke(
        app,
        [
            "db",
            "update",
            "--db",
            str(db),
            "--from",
            str(shared_data / "debian_tracker_sample.json"),
            "--from",
            str(shared_data / "npm_nodejs_security_wg.json"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "vuln-list-debian" in r.output
    r = runner.invoke(app, ["db", "status", "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {s["feed"] for s in doc["sources"]} == {"vuln-list-debian", "nodejs-security-wg"}
    assert doc["stale"] == [] and doc["size_bytes"] > 0
    out = tmp_path / "status.txt"
    r = runner.invoke(app, ["db", "status", "--db", str(db), "-o", str(out)])
    assert r.exit_code == 0 and "nodejs-security-wg" in out.read_text()


def test_bad_feed_exits_2_and_leaves_the_db(tmp_path: Path, shared_data: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "v.sqlite"
    assert (
        runner.invoke(
            app, ["db", "update", "--db", str(db), "--from", str(shared_data / "debian_tracker_sample.json")]
        ).exit_code
        == 0
    )
    before = sqlite3.connect(db).execute("SELECT COUNT(*) FROM debian").fetchone()
    bad = tmp_path / "list"
    bad.write_text("CVE-2099-0001 (x)\n\t- foo <maybe-later>\n")
    # the real entry point maps the error to its exit code
    p = subprocess.run(
        [sys.executable, "-m", "hardbake.cli.main", "db", "update", "--db", str(db), "--from", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 2, p.stderr
    assert "maybe-later" in p.stderr and p.stdout == ""
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM debian").fetchone() == before


def test_status_bad_age(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["db", "status", "--db", str(tmp_path / "v.sqlite"), "--max-age", "soon"])
    assert r.exit_code != 0
