"""`hardbake patch` on real images: a Debian 12 system (mmdebstrap minbase + dpkg -i of an old
package) and a distroless-style image hardbake built. The patched images run, dpkg agrees with
what is on disk, and the scan no longer reports the CVE the fix's changelog names."""

from __future__ import annotations

import contextlib
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.oci.filesystem import Filesystem
from hardbake.oci.reference import parse_image_ref
from hardbake.oci.transport import open_image
from hardbake.patch.apply import image_distro, installed_records
from hardbake.patch.dpkgdb import read_db, snapshot
from hardbake.testing import patchlab
from hardbake.testing.aptrepo import SigningKey, serve
from hardbake.testing.images import build_go_binary
from hardbake.testing.watchlab import HBRUN, build_lab, served
from hardbake.vuln import VulnDB
from hardbake.watch import vulns

pytestmark = pytest.mark.docker
runner = CliRunner()


def tracker(path: Path, source: str, release: str, fixed: str, cve: str) -> str:
    doc = {
        source: {
            cve: {"releases": {release: {"status": "resolved", "fixed_version": fixed, "urgency": "high"}}}
        }
    }
    path.write_text(json.dumps(doc))
    return str(path)


def open_cves(ref: str, db_path: Path, engine: Any = None) -> set[str]:
    """Scan an image from its dpkg database (status or status.d) against the DB."""
    img = open_image(parse_image_ref(ref), engine=engine)
    try:
        fs = Filesystem.scan(img)
        files = snapshot(fs)
        distro = image_distro(fs, files).name
        pkgs = installed_records(read_db(fs, files).packages)
    finally:
        img.close()
    with VulnDB.open(db_path) as db:
        return {v for v, _ in vulns.open_findings(vulns.scan_packages(ref, distro, pkgs, db))}


def run(image: str, *args: str, entrypoint: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = ["docker", "run", "--rm", "--network", "none"]
    if entrypoint:
        cmd += ["--entrypoint", entrypoint]
    return subprocess.run([*cmd, image, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="session")
def hbrun(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return build_go_binary(tmp_path_factory.mktemp("hbrun") / "hbrun", HBRUN).read_bytes()


@pytest.fixture()
def bookworm(
    tmp_path: Path, archive_key: SigningKey, hbrun: bytes, docker_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """A bookworm image with old hbdemo/hbneeds/hbscript, and the archive with their fixes."""
    _, _, old = patchlab.archive(tmp_path, archive_key, hbrun)
    tag = f"hbtest-patch/old-{uuid.uuid4().hex[:8]}:1"
    patchlab.installed_image(docker_engine, old, tag)
    with serve(tmp_path / "www") as url:
        monkeypatch.setenv("HARDBAKE_MIRROR", f"{url}/debian")
        monkeypatch.setenv("HARDBAKE_SECURITY_MIRROR", f"{url}/debian-security")
        monkeypatch.setenv("HARDBAKE_KEYRING", str(archive_key.keyring))
        try:
            yield tag, tmp_path
        finally:
            with contextlib.suppress(Exception):
                docker_engine.images.remove(tag, force=True)


def test_patches_a_debian_system_image_in_one_layer(bookworm: tuple[str, Path], docker_engine: Any) -> None:
    old, tmp = bookworm
    new = f"{old.split(':')[0]}-patched:1"
    db = tmp / "vuln.sqlite"
    r = runner.invoke(app, ["db", "update", "--db", str(db), "--from",
                            tracker(tmp / "t.json", "hbdemo", "bookworm", "1.0-1+deb12u1", patchlab.CVE)])  # fmt: skip
    assert r.exit_code == 0, r.output

    # read the engine's image once (docker save is the slow part); the refusal writes nothing
    r = runner.invoke(app, ["copy", f"docker-daemon:{old}", f"oci:{tmp}/layout-old:1"])
    assert r.exit_code == 0, r.output
    assert open_cves(f"oci:{tmp}/layout-old:1", db) == {patchlab.CVE}
    r = runner.invoke(app, ["patch", f"oci:{tmp}/layout-old:1", "-o", f"oci:{tmp}/never:1"])
    assert r.exit_code == 1 and not (tmp / "never").exists()
    said = " ".join(r.output.split())
    assert "- hbneeds 1.0-1 -> 1.1-1: new dependency hbmissing is not satisfied" in said
    assert "- hbscript 1.0-1 -> 1.1-1: its postinst runs 'adduser --system hbscript'" in said

    try:
        r = runner.invoke(app, ["patch", f"oci:{tmp}/layout-old:1", "-o", f"oci:{tmp}/layout-new:1",
                                "--ignore-errors", "--db", str(db), "--json"])  # fmt: skip
        assert r.exit_code == 0, r.output
        report = json.loads(r.stdout)
        (demo,) = report["updated"]
        assert (demo["name"], demo["old"], demo["new"], demo["suite"]) == (
            "hbdemo", "1.0-1", "1.0-1+deb12u1", "bookworm-security")  # fmt: skip
        assert demo["vulns_fixed"] == [patchlab.CVE] and demo["kept_conffiles"] == ["/etc/hbdemo.conf"]
        assert demo["whiteouts"] == 1
        assert sorted(x["name"] for x in report["refused"]) == ["hbneeds", "hbscript"]
        assert report["vulnerabilities"] == {"before": 1, "after": 0} and report["dpkgDatabase"] == "status"
        assert open_cves(f"oci:{tmp}/layout-new:1", db) == set()
        r = runner.invoke(app, ["copy", f"oci:{tmp}/layout-new:1", f"docker-daemon:{new}"])
        assert r.exit_code == 0, r.output

        # the image below is untouched: same layers, one more on top
        old_layers = docker_engine.images.get(old).attrs["RootFS"]["Layers"]
        new_layers = docker_engine.images.get(new).attrs["RootFS"]["Layers"]
        assert new_layers[: len(old_layers)] == old_layers and len(new_layers) == len(old_layers) + 1

        assert run(new, "/usr/share/hbdemo/message", entrypoint="hbdemo").stdout == "hbdemo 1.0-1+deb12u1\n"
        status = run(new, "-s", "hbdemo", entrypoint="dpkg").stdout
        assert "Version: 1.0-1+deb12u1" in status and "Status: install ok installed" in status
        # dpkg's own check: every file matches its md5sums; only the kept conffile differs
        verify = run(new, "--verify", entrypoint="dpkg")
        assert verify.stdout.strip() == "??5?????? c /etc/hbdemo.conf", verify
        assert run(new, "--audit", entrypoint="dpkg").stdout == ""
        listing = run(new, "/usr/share/hbdemo", entrypoint="ls").stdout.split()
        assert listing == ["added-in-fix", "message"]  # the dropped file is whited out
        assert run(new, "/etc/hbdemo.conf", entrypoint="cat").stdout == "level = 9  # mine\n"
        assert "1.0-1" in run(new, "-s", "hbneeds", entrypoint="dpkg").stdout  # refused: left as it was
    finally:
        with contextlib.suppress(Exception):
            docker_engine.images.remove(new, force=True)


def test_patches_a_distroless_style_image(
    tmp_path: Path, archive_key: SigningKey, docker_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = build_lab(tmp_path / "lab", archive_key)
    db = tmp_path / "vuln.sqlite"
    with served(lab):
        for k, v in lab.env().items():
            monkeypatch.setenv(k, v)
        r = runner.invoke(app, ["build", str(lab.specs["alpha"]), "-o", f"oci:{tmp_path}/alpha:1"])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["db", "update", "--db", str(db), "--from",
                                tracker(tmp_path / "t.json", "liba", "trixie", "1.1-1", "CVE-2099-0001")])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert open_cves(f"oci:{tmp_path}/alpha:1", db) == {"CVE-2099-0001"}

        r = runner.invoke(app, ["patch", f"oci:{tmp_path}/alpha:1", "-o", f"oci:{tmp_path}/alpha:1"])
        assert r.exit_code == 0 and "nothing to patch" in r.output  # no fix yet

        lab.publish("liba", "1.1-1", message="liba ok, patched", cves=["CVE-2099-0001"])
        r = runner.invoke(app, ["patch", f"oci:{tmp_path}/alpha:1", "-o", f"oci:{tmp_path}/patched:1", "--db",
                                str(db), "--json"])  # fmt: skip
        assert r.exit_code == 0, r.output
        report = json.loads(r.stdout)
        assert report["dpkgDatabase"] == "status.d" and report["updated"][0]["vulns_fixed"] == [
            "CVE-2099-0001"
        ]
    assert open_cves(f"oci:{tmp_path}/patched:1", db) == set()
    tag = f"hbtest-patch/alpha-{uuid.uuid4().hex[:8]}:1"
    r = runner.invoke(app, ["copy", f"oci:{tmp_path}/patched:1", f"docker-daemon:{tag}"])
    assert r.exit_code == 0, r.output
    try:
        out = run(tag, "/usr/share/liba/message")
        assert out.returncode == 0 and out.stdout == "liba ok, patched\n"
        # a trimmed image stays trimmed: the new changelog is not added, the copyright is
        ls = run(tag, "/usr/share/doc/liba/changelog.Debian.gz")
        assert ls.returncode == 2 and "no such file" in ls.stdout
        assert run(tag, "/var/lib/dpkg/status.d/liba").stdout.startswith("Package: liba\nVersion: 1.1-1")
    finally:
        with contextlib.suppress(Exception):
            docker_engine.images.remove(tag, force=True)
