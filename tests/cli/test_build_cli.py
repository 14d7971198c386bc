"""`hardbake build` against the local signed repository: the errors a user sees, and exit codes."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.testing.aptrepo import RepoSite
from hardbake.testing.debs import DebSpec, File, Member, build_raw_deb

runner = CliRunner()


def _args(site: RepoSite) -> list[str]:
    return ["--mirror", f"{site.url}/debian", "--security-mirror", f"{site.url}/debian-security",
            "--keyring", str(site.repo.key.keyring), "--refresh"]  # fmt: skip


@pytest.fixture()
def env(site: RepoSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RepoSite:
    monkeypatch.setenv("HARDBAKE_CACHE", str(site.cache))
    monkeypatch.chdir(tmp_path)
    site.repo.add("trixie", DebSpec("hello", files={"/usr/share/hello/greeting": File(b"hi\n")}))
    site.repo.publish("trixie")
    return site


def test_nonexistent_package_points_at_the_spec_line(env: RepoSite, tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\ndistro: debian-13\npackages:\n  - hello\n  - no-such-package\n")
    r = runner.invoke(app, ["build", str(spec), *_args(env)])
    assert r.exit_code == 2
    assert f"{spec}:5: packages[1]: package 'no-such-package' does not exist" in r.output.replace("\n", "")


def test_builds_and_reports_json(env: RepoSite, tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\ndistro: debian-13\npackages: [hello]\ncmd: [/nothing]\n")
    r = runner.invoke(app, ["build", str(spec), "--json", "-o", f"oci:{tmp_path}/out:1", *_args(env)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["platforms"][0]["packages"] == ["hello"]
    assert res["outputs"] == [f"oci:{tmp_path}/out:1"]
    assert (tmp_path / "out" / "index.json").exists()


def test_hostile_package_fails_the_build_and_writes_nothing(env: RepoSite, tmp_path: Path) -> None:
    spec_deb = DebSpec("evil")
    deb = build_raw_deb(
        spec_deb,
        [Member("./usr/lib/x", tarfile.SYMTYPE, linkname="/etc"), Member("./usr/lib/x/shadow", data=b"")],
        tmp_path / "c",
    )
    env.repo.add_raw("trixie", spec_deb, deb)
    env.repo.publish("trixie")
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\ndistro: debian-13\npackages: [evil]\n")
    r = runner.invoke(app, ["build", str(spec), "-o", f"oci:{tmp_path}/out:1", *_args(env)])
    assert r.exit_code == 2
    assert "package evil" in r.output and "./usr/lib/x/shadow" in r.output
    assert not (tmp_path / "out").exists()


def test_hardening_violation_is_exit_2_with_the_list(env: RepoSite, tmp_path: Path) -> None:
    env.repo.add("trixie", DebSpec("shell", files={"/bin/bash": File(b"x", 0o755)}))
    env.repo.publish("trixie")
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\ndistro: debian-13\npackages: [shell]\n")
    r = runner.invoke(app, ["build", str(spec), *_args(env)])
    assert r.exit_code == 2 and "[shell] /usr/bin/bash" in r.output
