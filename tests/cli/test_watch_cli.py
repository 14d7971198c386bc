"""`hardbake watch`, `sla` and `patch` as a user meets them: help, bad input, reports, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.oci.reference import parse_image_ref
from hardbake.oci.transport import write_image
from hardbake.testing.images import random_image
from hardbake.watch.state import Observation, StateDB

runner = CliRunner()


@pytest.mark.parametrize("verb", ["watch", "sla", "patch"])
def test_help_renders(verb: str) -> None:
    r = runner.invoke(app, [verb, "--help"])
    assert r.exit_code == 0 and "Usage" in r.output
    assert {"watch": "--dry-run", "sla": "--policy", "patch": "--lock-suites"}[verb] in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["watch", "--interval", "soon", "--once"], "is not a duration"),
        (
            ["watch", "python:3.13", "--registry", "https://r.example/x", "--once"],
            "expected REGISTRY[/NAMESPACE]",
        ),
        (["watch", "nosuchfamily:1", "--once"], "no catalog image"),
        (["watch", "--format", "xml"], "unknown --format"),
    ],
)
def test_watch_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    r = runner.invoke(app, [*args, "--state", str(tmp_path / "s.sqlite")])
    assert r.exit_code == 2, r.output
    assert message in " ".join(r.output.split())


def _state(tmp_path: Path) -> Path:
    """A state DB whose clock ran in the past: a critical CVE fixable for 10 days, one upstream."""
    p = tmp_path / "state.sqlite"
    start = datetime.now(UTC) - timedelta(days=10)
    with StateDB.open(p, clock=lambda: start) as db:
        db.observe("app:1", [
            Observation("CVE-2099-1111", "openssl", "critical", False, "fixed-available", "3.0.1", True),
            Observation("CVE-2099-2222", "zlib", "low", False, "no-dsa", None, False),
        ])  # fmt: skip
    return p


def test_sla_reports_in_every_format_and_gates_on_breach(tmp_path: Path) -> None:
    state = _state(tmp_path)
    r = runner.invoke(app, ["sla", "--state", str(state), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    (late,) = doc["open"]
    assert late["vulnerability"] == "CVE-2099-1111" and late["status"] == "breached"
    assert late["remainingSeconds"] < -2 * 86400
    assert doc["upstream"][0]["debianState"] == "no-dsa"
    r = runner.invoke(
        app, ["sla", "--state", str(state), "--format", "markdown", "-o", str(tmp_path / "sla.md")]
    )
    assert r.exit_code == 0 and "| critical | 7d | 1 | 0 | 1 |" in (tmp_path / "sla.md").read_text()
    r = runner.invoke(app, ["sla", "--state", str(state)])
    assert r.exit_code == 0 and "CVE-2099-2222" in r.output and "upstream" in r.output
    # a policy that gives critical fixes 30 days: not breached, a warning at most
    (tmp_path / "p.yaml").write_text("limits: {critical: 30d}\nwarn-before: 21d\n")
    r = runner.invoke(app, ["sla", "--state", str(state), "--policy", str(tmp_path / "p.yaml"), "--json",
                            "--alerts-jsonl", str(tmp_path / "a.jsonl"), "--fail-on-breach"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["open"][0]["status"] == "warning"
    r = runner.invoke(
        app, ["sla", "--state", str(state), "--fail-on-breach", "--alerts-jsonl", str(tmp_path / "a.jsonl")]
    )
    assert r.exit_code == 1 and "past the SLA deadline" in r.output
    r = runner.invoke(app, ["sla", "--state", str(state), "--alerts-jsonl", str(tmp_path / "a.jsonl")])
    assert r.exit_code == 0 and "SLA breached: app:1 CVE-2099-1111" in " ".join(r.output.split())
    levels = [json.loads(line)["level"] for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert levels == ["warning", "breached"]  # each level once per sink, even across runs


def test_sla_without_state_and_with_a_bad_policy(tmp_path: Path) -> None:
    r = runner.invoke(app, ["sla", "--state", str(tmp_path / "none.sqlite")])
    assert r.exit_code == 2 and "run `hardbake watch` first" in r.output
    (tmp_path / "p.yaml").write_text("limits: {urgent: 1d}\n")
    r = runner.invoke(app, ["sla", "--state", str(_state(tmp_path)), "--policy", str(tmp_path / "p.yaml")])
    assert r.exit_code == 2 and "unknown severities" in r.output


def test_patch_refuses_an_image_that_is_not_debian(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARDBAKE_MIRROR", "http://127.0.0.1:9/debian")
    monkeypatch.setenv("HARDBAKE_SECURITY_MIRROR", "http://127.0.0.1:9/debian-security")
    write_image(random_image(tmp_path / "blobs"), parse_image_ref(f"oci:{tmp_path}/rnd:1"))
    r = runner.invoke(app, ["patch", f"oci:{tmp_path}/rnd:1", "-o", f"oci:{tmp_path}/out:1"])
    assert r.exit_code == 2 and "no /etc/os-release" in r.output
    assert not (tmp_path / "out").exists()


def test_watch_checks_its_alert_options_before_running(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("known-exploited: never\n")
    r = runner.invoke(app, ["watch", "python:3.13", "--once", "--policy", str(tmp_path / "p.yaml")])
    assert r.exit_code == 2 and "known-exploited" in r.output
    r = runner.invoke(app, ["watch", "python:3.13", "--once", "--webhook", "file:///etc/passwd"])
    assert r.exit_code == 2 and "must be http:// or https://" in r.output
