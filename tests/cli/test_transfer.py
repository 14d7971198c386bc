"""`hardbake push` / `pull` end to end: credentials from ~/.docker/config.json or flags, exit codes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardbake.oci import layout
from hardbake.oci.blobs import BlobStore
from hardbake.testing.cli import run_hardbake
from hardbake.testing.images import random_index
from hardbake.testing.registry import LocalRegistry, local_registry


@pytest.fixture()
def locked_registry() -> Iterator[LocalRegistry]:
    with local_registry(users={"alice": "wonderland"}) as reg:
        yield reg


def test_push_with_docker_config_pull_with_flags(locked_registry: LocalRegistry, tmp_path: Path) -> None:
    idx = random_index(BlobStore(tmp_path / "store", fsync=False), files=3, max_size=2000)
    layout.write(tmp_path / "src", idx, tags=["v1"])
    target = f"{locked_registry.host}/team/app:v1"

    r = run_hardbake("push", f"oci:{tmp_path / 'src'}:v1", target, home=tmp_path)
    assert r.returncode == 2 and "requires a login" in r.stderr and "docker login" in r.stderr

    auth = base64.b64encode(b"alice:wonderland").decode()
    (tmp_path / ".docker").mkdir()
    (tmp_path / ".docker/config.json").write_text(
        json.dumps({"auths": {locked_registry.host: {"auth": auth}}})
    )
    r = run_hardbake("push", f"oci:{tmp_path / 'src'}:v1", target, home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert str(idx.digest()) in r.stdout and "8 copied" in r.stdout  # the table and the summary line

    (tmp_path / ".docker/config.json").unlink()
    flags = ("--username", "alice", "--password", "wonderland")
    r = run_hardbake("pull", target, f"oci:{tmp_path / 'back'}:v1", *flags, "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["digest"] == str(idx.digest()) and report["blobs"]["copied"] == 8
    assert layout.read(tmp_path / "back", "v1").digest() == idx.digest()

    r = run_hardbake(
        "pull", target, f"oci:{tmp_path / 'x'}:v1", "--username", "alice", "--password", "no", home=tmp_path
    )
    assert r.returncode == 2 and "refused" in r.stderr


@pytest.mark.parametrize("verb", ["push", "pull", "copy", "sign", "attest", "verify"])
def test_help_renders(verb: str) -> None:
    """Help texts are rich markup: a stray `[/x]` would crash `--help`."""
    from typer.testing import CliRunner

    from hardbake.cli.main import app

    result = CliRunner().invoke(app, [verb, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
