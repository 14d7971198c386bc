"""`hardbake policy ...` end to end: exit codes, formats, output files, the served webhook."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from hardbake.cli.main import main
from hardbake.testing.net import free_port, wait_for_port
from hardbake.testing.tls import make_tls_pair

CORPUS = Path(__file__).resolve().parent.parent / "policy" / "corpus"
SRC = Path(__file__).resolve().parents[2] / "src"


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["hardbake", *args])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as e:
        code = int(e.code or 0)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_check_exit_codes(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(
        ["policy", "check", str(CORPUS / "kubernetes/good-deployment.yaml")], capsys, monkeypatch
    )
    assert code == 0 and "0 at or above high" in err
    code, out, err = run(["policy", "check", str(CORPUS / "kubernetes/bad-pod.yaml")], capsys, monkeypatch)
    assert code == 1 and "HB-PRIV-004" in out and "findings at or above high" in err
    code, _, _ = run(
        ["policy", "check", "--fail-on", "critical", str(CORPUS / "kubernetes/article-deployment.yaml")],
        capsys,
        monkeypatch,
    )
    assert code == 0
    code, _, err = run(
        ["policy", "check", "--profile", "dev", str(CORPUS / "dockerfile/Dockerfile.nouser")],
        capsys,
        monkeypatch,
    )
    assert code == 0


def test_check_input_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(["policy", "check", str(tmp_path / "missing.yaml")], capsys, monkeypatch)
    assert code == 2 and "no such file" in err
    (tmp_path / "old.rego").write_text('package p\ndeny[msg] {\n  msg := "x"\n}\n')
    code, _, err = run(
        ["policy", "check", "--rego", str(tmp_path), str(CORPUS / "compose")], capsys, monkeypatch
    )
    assert code == 2 and "deny contains msg if" in err
    code, _, err = run(["policy", "check", "--format", "xml", str(CORPUS)], capsys, monkeypatch)
    assert code == 2
    cfg = tmp_path / "c.yaml"
    cfg.write_text("rules: {HB-NOPE: {}}\n")
    code, _, err = run(["policy", "check", "--config", str(cfg), str(CORPUS)], capsys, monkeypatch)
    assert code == 2 and "HB-NOPE" in err


def test_json_and_sarif_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(
        ["policy", "check", "--json", str(CORPUS / "compose/bad-compose.yaml")], capsys, monkeypatch
    )
    doc = json.loads(out)
    assert code == 1 and doc["fail_on"] == "high" and doc["counts"]["critical"] == 2
    assert {"rule", "severity", "file", "line", "fix", "references"} <= set(doc["findings"][0])
    sarif = tmp_path / "out" / "policy.sarif"
    code, out, _ = run(
        ["policy", "check", "--format", "sarif", "-o", str(sarif), str(CORPUS)], capsys, monkeypatch
    )
    assert code == 1 and out == ""
    assert json.loads(sarif.read_text())["version"] == "2.1.0"


def test_rules_listing(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(["policy", "rules", "--json"], capsys, monkeypatch)
    rules = json.loads(out)
    assert code == 0 and rules[0]["id"] == "HB-IMG-001" and rules[0]["severity"]["production"] == "high"


def test_webhook_config_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = make_tls_pair(tmp_path)
    code, out, _ = run(
        ["policy", "webhook-config", "--tls-cert", str(pair.cert), "--exclude-namespace", "ops"],
        capsys,
        monkeypatch,
    )
    doc = yaml.safe_load(out)
    assert code == 0 and doc["kind"] == "ValidatingWebhookConfiguration"
    assert "ops" in doc["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"]


def test_serve_over_https(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = make_tls_pair(tmp_path)
    # a key that does not belong to the certificate is refused up front (exit 2)
    (tmp_path / "other").mkdir()
    other = make_tls_pair(tmp_path / "other")
    code, _, err = run(
        ["policy", "serve", "--tls-cert", str(pair.cert), "--tls-key", str(other.key)], capsys, monkeypatch
    )
    assert code == 2 and "cannot use" in err
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hardbake.cli.main",
            "policy",
            "serve",
            "--tls-cert",
            str(pair.cert),
            "--tls-key",
            str(pair.key),
            "--port",
            str(port),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, timeout=30)
        ctx = ssl.create_default_context(cafile=str(pair.cert))
        with httpx.Client(verify=ctx, timeout=10) as c:
            assert c.get(f"https://127.0.0.1:{port}/healthz").text == "ok\n"
            r = c.post(f"https://127.0.0.1:{port}/validate", content=b"{")
            assert r.status_code == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    assert proc.returncode in (0, -signal.SIGTERM) and "Traceback" not in err, err
