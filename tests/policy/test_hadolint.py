"""hardbake against hadolint on the Dockerfile corpus: same root-user verdicts; hadolint is silent
about a final stage with no USER at all, which hardbake reports."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from hardbake.policy.check import check_paths

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus" / "dockerfile"
PEERS = Path(os.environ.get("HARDBAKE_PEERS_VENV", ROOT / ".venv-peers"))
FILES = sorted(CORPUS.iterdir())


@pytest.fixture(scope="module")
def hadolint() -> dict[str, set[str]]:
    exe = PEERS / "bin" / "hadolint"
    assert exe.is_file(), f"{exe} missing: run scripts/peers-venv (scripts/setup does) to install the peers"
    out: dict[str, set[str]] = {}
    for f in FILES:
        proc = subprocess.run(
            [str(exe), "--no-fail", "-f", "json", str(f)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        out[f.name] = {d["code"] for d in json.loads(proc.stdout)}
    return out


def test_root_user_agrees_with_dl3002(hadolint: dict[str, set[str]]) -> None:
    for f in FILES:
        ours = {x.rule_id for x in check_paths([f]).findings}
        assert ("DL3002" in hadolint[f.name]) == ("HB-ID-001" in ours), f.name


def test_latest_agrees_with_dl3006_dl3007(hadolint: dict[str, set[str]]) -> None:
    for f in FILES:
        ours = {x.rule_id for x in check_paths([f]).findings}
        assert bool({"DL3006", "DL3007"} & hadolint[f.name]) == ("HB-IMG-003" in ours), f.name


def test_no_user_at_all_is_caught_only_by_hardbake(hadolint: dict[str, set[str]]) -> None:
    """A final stage without USER runs as the base's user (root for python:3.12-slim and for scratch)."""
    for name in ("Dockerfile.nouser", "Dockerfile.scratch"):
        assert not {"DL3002"} & hadolint[name]
        [f] = [x for x in check_paths([CORPUS / name]).findings if x.rule_id == "HB-ID-002"]
        assert f.severity.name == "high"
