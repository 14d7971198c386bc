"""`hardbake build` of real Debian packages from the live archive, checked by independent tools
and run in the real Docker engine."""

from __future__ import annotations

import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from debian.deb822 import Deb822
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.testing.images import build_go_binary

pytestmark = [pytest.mark.online, pytest.mark.docker]
runner = CliRunner()

PROBE = r"""
package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"os/user"
	"time"
)

func main() {
	u, _ := user.Current()
	name := "?"
	if u != nil {
		name = u.Username
	}
	pool, err := x509.SystemCertPool()
	n := 0
	if err == nil {
		n = len(pool.Subjects())
	}
	_, tzerr := time.LoadLocation("Europe/Paris")
	fmt.Printf("uid=%d user=%s certs=%d tz=%v\n", os.Getuid(), name, n, tzerr == nil)
	if f, err := os.Create("/written-by-probe"); err == nil {
		f.Close()
		fmt.Println("root is writable")
	} else {
		fmt.Println("root is read-only")
	}
}
"""

SPEC = """\
name: probe
distro: debian-12
packages: [base-files, netbase, tzdata, ca-certificates, media-types]
drop:
  - {package: awk, reason: "base-files' scripts only"}
  - {package: debconf, reason: "no maintainer scripts run"}
  - {package: openssl, reason: "the bundle is built by hardbake"}
exclude-paths: ["/usr/sbin/*", "/usr/bin/*"]
allowed-programs: []
paths:
  - {path: /app/probe, type: file, source: probe, mode: "0755"}
entrypoint: [/app/probe]
"""


@pytest.fixture(scope="session")
def live_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("build-cache")


@pytest.fixture(scope="session")
def probe_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("probe")
    build_go_binary(d / "probe", PROBE)
    (d / "probe.yaml").write_text(SPEC)
    return d / "probe.yaml"


def _build(
    spec: str, outputs: list[str], cache: Path, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> dict[str, Any]:
    monkeypatch.setenv("HARDBAKE_CACHE", str(cache))
    args = ["build", spec, "--json", *extra]
    for o in outputs:
        args += ["-o", o]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def probe_build(
    probe_spec: Path, live_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("probe-out")
    mp = pytest.MonkeyPatch()
    try:
        result = _build(
            str(probe_spec),
            [
                f"oci:{out}/layout:v1",
                f"docker-archive:{out}/probe.tar",
                "docker-daemon:hardbake-test/probe:v1",
            ],
            live_cache,
            mp,
        )
    finally:
        mp.undo()
    result["_out"] = out
    yield result
    subprocess.run(["docker", "rmi", "-f", "hardbake-test/probe:v1"], capture_output=True)


def test_runs_hardened_in_docker(probe_build: dict[str, Any]) -> None:
    r = subprocess.run(
        ["docker", "run", "--rm", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
         "--network", "none", "--user", "65532:65532", "hardbake-test/probe:v1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "uid=65532 user=nonroot" in r.stdout
    certs = int(r.stdout.split("certs=")[1].split()[0])
    assert certs > 100  # Debian's Mozilla bundle, found through SSL_CERT_FILE
    assert "tz=true" in r.stdout and "root is read-only" in r.stdout


def test_default_user_is_numeric_nonroot(probe_build: dict[str, Any]) -> None:
    r = subprocess.run(
        ["docker", "inspect", "hardbake-test/probe:v1"], capture_output=True, text=True, check=True
    )
    cfg = json.loads(r.stdout)[0]["Config"]
    assert cfg["User"] == "65532:65532"
    assert "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" in cfg["Env"]
    assert cfg["Labels"]["dev.hardbake.variant"] == "runtime"
    r = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "hardbake-test/probe:v1"],
        capture_output=True,
        text=True,
    )
    assert "uid=65532" in r.stdout


def test_read_back_by_skopeo_and_umoci(probe_build: dict[str, Any], tmp_path: Path) -> None:
    out: Path = probe_build["_out"]
    raw = json.loads(
        subprocess.run(
            ["skopeo", "inspect", "--raw", f"oci:{out}/layout:v1"], capture_output=True, check=True
        ).stdout
    )
    assert raw["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    info = json.loads(
        subprocess.run(["skopeo", "inspect", f"oci:{out}/layout:v1"], capture_output=True, check=True).stdout
    )
    assert info["Digest"] == probe_build["digest"] and info["Architecture"] == "amd64"
    subprocess.run(
        ["skopeo", "copy", f"oci:{out}/layout:v1", f"docker-archive:{tmp_path}/copy.tar:x/y:z"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["umoci", "unpack", "--rootless", "--image", f"{out}/layout:v1", str(tmp_path / "bundle")],
        check=True,
        capture_output=True,
    )
    rootfs = tmp_path / "bundle" / "rootfs"
    assert (rootfs / "app" / "probe").is_file() and (rootfs / "bin").is_symlink()
    r = subprocess.run(["docker", "load", "-i", f"{out}/probe.tar"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _rootfs_members(archive: Path) -> dict[str, tarfile.TarInfo]:
    members: dict[str, tarfile.TarInfo] = {}
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        for layer in manifest[0]["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(layer)) as inner:
                for m in inner.getmembers():
                    members[m.name.lstrip("./")] = m
    return members


def test_rootfs_is_hardened_and_status_d_matches_the_lock(
    probe_build: dict[str, Any], live_cache: Path, tmp_path: Path
) -> None:
    members = _rootfs_members(probe_build["_out"] / "probe.tar")
    names = set(members)
    for shell in ("bin/sh", "usr/bin/sh", "usr/bin/bash", "usr/bin/dash", "usr/bin/apt", "usr/bin/dpkg"):
        assert shell not in names
    assert not [n for n, m in members.items() if m.isfile() and m.mode & 0o6000]
    status = {
        n.split("/")[-1]: m
        for n, m in members.items()
        if n.startswith("var/lib/dpkg/status.d/") and m.isfile()
    }
    pkgs = probe_build["platforms"][0]["packages"]
    assert sorted(k for k in status if not k.endswith(".md5sums")) == sorted(pkgs)
    with tarfile.open(probe_build["_out"] / "probe.tar") as outer:
        manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
        with tarfile.open(fileobj=outer.extractfile(manifest[0]["Layers"][0])) as inner:
            for name in pkgs:
                data = inner.extractfile(f"var/lib/dpkg/status.d/{name}").read()  # type: ignore[union-attr]
                stanza = Deb822(data.decode())
                assert stanza["Package"] == name and "Status" not in stanza and stanza["Version"]
    assert members["etc/passwd"].uid == 0 and members["home/nonroot"].uid == 65532
    assert oct(members["tmp"].mode) == "0o1777"


def test_reproducible_across_time_and_caches(
    probe_spec: Path, probe_build: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    again = _build(str(probe_spec), [f"oci:{tmp_path}/again:v1"], tmp_path / "fresh-cache", monkeypatch)
    assert again["digest"] == probe_build["digest"]
    assert again["sourceDateEpoch"] == probe_build["sourceDateEpoch"]


def test_lock_then_build_from_lock(
    probe_spec: Path,
    probe_build: dict[str, Any],
    live_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HARDBAKE_CACHE", str(live_cache))
    lock = tmp_path / "probe.lock.json"
    r = runner.invoke(app, ["lock", str(probe_spec), "-o", str(lock)])
    assert r.exit_code == 0, r.output
    data = json.loads(lock.read_text())
    assert set(data["arches"]) == {"amd64"} and data["image"]["specDigest"] == probe_build["specDigest"]
    offline = _build(
        str(probe_spec),
        [f"oci:{tmp_path}/fromlock:v1"],
        live_cache,
        monkeypatch,
        "--lock",
        str(lock),
        "--offline",
    )
    assert offline["digest"] == probe_build["digest"]


@pytest.mark.parametrize("name", ["static:debian12", "base:debian13", "cc:debian12"])
def test_builtin_base_images(
    name: str, live_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = _build(name, [f"oci:{tmp_path}/img:t"], live_cache, monkeypatch, "--arch", "amd64")
    p = res["platforms"][0]
    assert p["hardening"]["shells"]["count"] == 0 and p["hardening"]["setuidFiles"]["count"] == 0
    assert p["hardening"]["programsOnPath"]["count"] == 0
    if name.startswith("static"):
        assert "libc6" not in p["packages"]
    else:
        assert "libc6" in p["packages"]
    if name.startswith("cc"):
        assert "libstdc++6" in p["packages"]
