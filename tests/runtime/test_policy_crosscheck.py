"""What `hardbake limits` generates passes `hardbake policy check` at the same profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.policy.check import check_paths
from hardbake.policy.model import Severity
from hardbake.testing.goimage import push_hbtest
from hardbake.testing.registry import LocalRegistry

pytestmark = pytest.mark.docker
runner = CliRunner()

HEALTH = "/usr/local/bin/hbtest probe http://127.0.0.1:8080/healthz"


@pytest.mark.parametrize("fmt", ["compose", "k8s", "docker"])
@pytest.mark.parametrize(
    ("profile", "policy_profile"),
    [("production", "production"), ("max-security", "production"), ("staging", "staging"), ("dev", "dev")],
)
def test_generated_config_passes_policy(
    fmt: str, profile: str, policy_profile: str, docker_engine: Any, registry: LocalRegistry, tmp_path: Path
) -> None:
    ref = push_hbtest(docker_engine, registry.host, repository="crosscheck")
    try:
        _check(fmt, profile, policy_profile, ref, registry, tmp_path)
    finally:
        docker_engine.images.remove(ref, force=True)


def _check(
    fmt: str, profile: str, policy_profile: str, ref: str, registry: LocalRegistry, tmp_path: Path
) -> None:
    ext = {"compose": "yaml", "k8s": "yaml", "docker": "sh"}[fmt]
    out = tmp_path / ("compose.yaml" if fmt == "compose" else f"generated.{ext}")
    r = runner.invoke(
        app, ["limits", profile, "--image", ref, "--format", fmt, "--healthcheck", HEALTH, "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "@sha256:" in text  # pinned by digest, as the policy's digest rule wants
    config = tmp_path / "policy.yaml"
    config.write_text(f"version: 1\nallowed_registries: [{registry.host}/]\n")
    result = check_paths([out], profile=policy_profile, config=config)
    blocking = result.at_or_above(Severity.high)
    assert not blocking, [(f.rule_id, f.message) for f in blocking]
    if fmt != "docker":  # docker run cannot express an exec-form healthcheck without a shell
        assert not [
            f for f in result.findings if f.rule_id.startswith("HB-OPS") and f.severity >= Severity.medium
        ]
