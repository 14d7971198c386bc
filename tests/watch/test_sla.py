"""SLA evaluation with an injected clock, the policy file, reports, and alert delivery."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hardbake.errors import InputError
from hardbake.testing.net import free_port
from hardbake.watch import alerts, sla
from hardbake.watch.state import Observation, StateDB, VulnRow

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def row(vuln: str, severity: str = "high", *, kev: bool = False, state: str = "fixed-available",
        fix_at: timedelta | None = None, fixed_at: timedelta | None = None) -> VulnRow:  # fmt: skip
    return VulnRow(
        "img:1", vuln, "src", severity, kev, state, "1.1", T0,
        T0 + fix_at if fix_at is not None else None,
        T0 + fixed_at if fixed_at is not None else None,
        "sha256:" + "f" * 64 if fixed_at is not None else None, T0, "scan",
    )  # fmt: skip


def test_default_policy_is_dhis_numbers() -> None:
    p = sla.Policy()
    assert p.limit("critical", False) == p.limit("high", False) == timedelta(days=7)
    assert (
        p.limit("medium", False) == p.limit("low", False) == p.limit("unknown", False) == timedelta(days=30)
    )
    assert p.limit("medium", True) == timedelta(days=1)  # known exploited overrides
    assert p.warn_window(timedelta(days=8)) == timedelta(days=2)  # a quarter of the limit


def test_evaluate_every_status() -> None:
    now = T0 + timedelta(days=10)
    rows = [
        row("CVE-OK", fix_at=timedelta(days=9)),  # 1 day in, 6 left of 7
        row("CVE-WARN", fix_at=timedelta(days=4)),  # 6 days in: 1 day left <= 1.75 d window
        row("CVE-LATE", "critical", fix_at=timedelta(days=1)),  # 9 days in: breached by 2 days
        row("CVE-KEV", "low", kev=True, fix_at=timedelta(days=8)),  # 2 days in of 1
        row("CVE-MET", fix_at=timedelta(days=1), fixed_at=timedelta(days=2)),
        row("CVE-MISSED", fix_at=timedelta(days=0), fixed_at=timedelta(days=8)),
        row("CVE-UP", "medium", state="no-dsa"),
        row("CVE-GONE", state="withdrawn"),
    ]
    items = {i.vuln: i for i in sla.evaluate(rows, sla.Policy(), now)}
    assert "CVE-GONE" not in items
    assert items["CVE-OK"].status == "ok" and items["CVE-OK"].remaining == timedelta(days=6)
    assert items["CVE-WARN"].status == "warning"
    assert items["CVE-LATE"].status == "breached" and items["CVE-LATE"].remaining == -timedelta(days=2)
    assert items["CVE-KEV"].status == "breached" and items["CVE-KEV"].limit == timedelta(days=1)
    assert items["CVE-MET"].status == "met" and items["CVE-MET"].age == timedelta(days=1)
    assert items["CVE-MISSED"].status == "missed" and items["CVE-MISSED"].age == timedelta(days=8)
    up = items["CVE-UP"]
    assert up.category == "upstream" and up.status == "upstream" and up.age == timedelta(days=10)
    # sorted by severity first
    assert sla.evaluate(rows, sla.Policy(), now)[0].vuln == "CVE-LATE"


def test_announced_fix_not_in_the_archive_is_upstreams() -> None:
    (i,) = sla.evaluate([row("CVE-A", state="fixed-available")], sla.Policy(), T0 + timedelta(days=3))
    assert i.category == "upstream" and "not in the archive" in (i.note or "")


def test_summary_and_report_documents() -> None:
    now = T0 + timedelta(days=10)
    rows = [
        row("CVE-1", fix_at=timedelta(days=0), fixed_at=timedelta(days=2)),
        row("CVE-2", fix_at=timedelta(days=0), fixed_at=timedelta(days=4)),
        row("CVE-3", fix_at=timedelta(days=0), fixed_at=timedelta(days=9)),
        row("CVE-4", fix_at=timedelta(days=1)),
        row("CVE-5", "low", state="postponed"),
    ]
    items = sla.evaluate(rows, sla.Policy(), now)
    doc = sla.report(items, sla.Policy(), now)
    high = next(s for s in doc["bySeverity"] if s["severity"] == "high")
    assert (high["fixed"], high["met"], high["missed"], high["open"], high["breached"]) == (3, 2, 1, 1, 1)
    assert high["medianTimeToFixSeconds"] == 4 * 86400 and high["maxTimeToFixSeconds"] == 9 * 86400
    low = next(s for s in doc["bySeverity"] if s["severity"] == "low")
    assert low["upstream"] == 1 and low["oldestUpstreamSeconds"] == 10 * 86400
    assert [i["vulnerability"] for i in doc["upstream"]] == ["CVE-5"]
    md = sla.markdown(doc)
    assert "| high | 7d | 1 | 0 | 1 | 3 | 2 | 1 | 4d |" in md
    assert "## Upstream: no fix in Debian yet" in md and "| CVE-5 | src | low |" in md
    json.dumps(doc)  # serialisable


def test_policy_file(tmp_path: Path) -> None:
    p = tmp_path / "sla.yaml"
    p.write_text("limits: {critical: 2d, high: 36h}\nknown-exploited: 12h\nwarn-before: 6h\n")
    pol = sla.Policy.load(p)
    assert pol.limit("critical", False) == timedelta(days=2) and pol.limit("high", False) == timedelta(
        hours=36
    )
    assert pol.limit("medium", False) == timedelta(days=30)  # defaults fill the rest
    assert pol.limit("critical", True) == timedelta(hours=12)
    assert pol.warn_window(timedelta(days=30)) == timedelta(hours=6)
    p.write_text("limits: {severe: 2d}\n")
    with pytest.raises(InputError, match="limits"):
        sla.Policy.load(p)
    p.write_text("limits: {high: soon}\n")
    with pytest.raises(InputError, match="not a duration"):
        sla.Policy.load(p)
    p.write_text("warn-before: 150%\n")
    with pytest.raises(InputError, match="warn-before"):
        sla.Policy.load(p)


# -- alerts ------------------------------------------------------------------------------


@contextmanager
def webhook(responses: list[int]) -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A receiver on 127.0.0.1 answering with `responses` in turn (then 200)."""
    got: list[dict[str, object]] = []
    codes = list(responses)

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            code = codes.pop(0) if codes else 200
            if code == 200:
                got.append(json.loads(body))
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    finally:
        server.shutdown()
        server.server_close()


def _state_with_due(tmp_path: Path) -> tuple[StateDB, list[sla.SlaItem]]:
    clock = lambda: T0  # noqa: E731
    db = StateDB.open(tmp_path / "s.sqlite", clock=clock)
    db.observe("img:1", [Observation("CVE-9", "src", "critical", True, "fixed-available", "1.1", True)])
    items = sla.evaluate(db.vulns(), sla.Policy(), T0 + timedelta(hours=20))  # 4h of 24h left: warning
    return db, items


def test_alerts_go_to_every_sink_once_per_level(tmp_path: Path) -> None:
    db, items = _state_with_due(tmp_path)
    lines: list[str] = []
    with webhook([503, 503]) as (url, got):
        hook = alerts.WebhookSink(url, backoff=0.01)
        sinks = [alerts.TerminalSink(lines.append), alerts.JsonLinesSink(tmp_path / "a.jsonl"), hook]
        due = alerts.due(items, T0)
        assert [a.level for a in due] == ["warning"]
        sent = alerts.dispatch(due, sinks, db)
        assert sorted(name.split(":")[0] for _, name in sent) == ["jsonl", "terminal", "webhook"]
        # again: only the terminal shows it; the file and the webhook had it already
        assert [name for _, name in alerts.dispatch(due, sinks, db)] == ["terminal"]
        hook.close()
    assert len(got) == 1 and got[0]["vulnerability"] == "CVE-9" and got[0]["level"] == "warning"
    assert got[0]["knownExploited"] and hook.delivered == 1 and hook.failed == 0  # two 503s were retried
    assert "SLA warning: img:1 CVE-9 (src, critical (known exploited))" in lines[0] and len(lines) == 2
    assert json.loads((tmp_path / "a.jsonl").read_text())["type"] == "hardbake.sla"
    later = sla.evaluate(db.vulns(), sla.Policy(), T0 + timedelta(days=2))
    assert [a.level for a in alerts.due(later, T0)] == ["breached"]
    db.close()


def test_a_dead_webhook_costs_bounded_time_and_the_alert_is_sent_again(tmp_path: Path) -> None:
    db, items = _state_with_due(tmp_path)
    with webhook([500] * 50) as (url, got):
        hook = alerts.WebhookSink(url, attempts=3, backoff=0.05, budget=2.0)
        t0 = time.monotonic()
        assert alerts.dispatch(alerts.due(items, T0), [hook], db) == []
        assert (
            time.monotonic() - t0 < 2.0 and got == [] and hook.failed == 1 and hook.last_error == "HTTP 500"
        )
        hook.close()
    closed = alerts.WebhookSink(f"http://127.0.0.1:{free_port()}/", attempts=2, backoff=0.01)
    assert alerts.dispatch(alerts.due(items, T0), [closed], db) == []
    assert "ConnectError" in (closed.last_error or "")
    closed.close()
    assert not db.alerted("img:1", "CVE-9", "src", "warning", hook.name or "")  # it goes out next time
    with webhook([]) as (url2, got2):
        again = alerts.WebhookSink(url, backoff=0.01)
        again.url = url2  # the receiver is back (same sink name as before)
        assert len(alerts.dispatch(alerts.due(items, T0), [again], db)) == 1 and len(got2) == 1
        again.close()
    db.close()


def test_4xx_is_final_and_bad_urls_are_refused() -> None:
    with pytest.raises(InputError):
        alerts.WebhookSink("ftp://example.invalid/hook")
    with webhook([404, 200]) as (url, got):
        hook = alerts.WebhookSink(url, backoff=0.01)
        item = sla.evaluate([row("CVE-X", fix_at=timedelta(0))], sla.Policy(), T0 + timedelta(days=9))[0]
        assert not hook.send(alerts.Alert("breached", item, T0))
        assert hook.last_error == "HTTP 404" and got == []
        hook.close()
