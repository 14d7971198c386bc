"""`hardbake audit` end to end: --pods FILE and stdin, formats, the adoption gate."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from hardbake.cli.main import main

D = "@sha256:" + "c" * 64
PODS = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "a", "namespace": "production"},
            "spec": {"containers": [{"name": "a", "image": "hardbake/python:3.13" + D}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "b", "namespace": "production"},
            "spec": {"containers": [{"name": "b", "image": "nginx:1.27"}]},
        },
    ],
}


def run(
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str | None = None,
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["hardbake", *args])
    monkeypatch.setenv("COLUMNS", "200")
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = 0
    try:
        main()
    except SystemExit as e:
        code = int(e.code or 0)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_audit_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "pods.json"
    f.write_text(json.dumps(PODS))
    code, out, _ = run(["audit", "--pods", str(f), "--json"], capsys, monkeypatch)
    doc = json.loads(out)
    assert code == 0 and doc["adoption_rate"] == 50.0 and doc["namespaces"][0]["hardened_images"] == 1
    code, out, _ = run(
        ["audit", "--pods", "-", "--format", "markdown"], capsys, monkeypatch, stdin=json.dumps(PODS)
    )
    assert code == 0 and "adoption rate: 50.0%" in out and "## Top violations" in out
    code, out, _ = run(["audit", "--pods", str(f)], capsys, monkeypatch)
    assert code == 0 and "production" in out and "Top violations" in out and "HB-PRIV-001" in out


def test_audit_gate_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "pods.json"
    f.write_text(json.dumps(PODS))
    code, _, err = run(["audit", "--pods", str(f), "--min-adoption", "80"], capsys, monkeypatch)
    assert code == 1 and "below" in err
    code, _, err = run(["audit"], capsys, monkeypatch)
    assert code == 2 and "exactly one" in err
    code, _, err = run(["audit", "--pods", "-"], capsys, monkeypatch, stdin="nope")
    assert code == 2 and "not JSON" in err
