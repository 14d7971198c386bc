"""Multi-arch, shared layers, dev variants and customisation (`extends:`), on the live archive,
run in the real Docker engine (arm64 under qemu-user-static)."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hardbake.cli.main import app
from hardbake.testing.images import build_go_binary

pytestmark = [pytest.mark.online, pytest.mark.docker]
runner = CliRunner()

UID_PROBE = r"""
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() { fmt.Printf("uid=%d arch=%s\n", os.Getuid(), runtime.GOARCH) }
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("variants-cache")


def _build(args: list[str], cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("HARDBAKE_CACHE", str(cache))
    r = runner.invoke(app, ["build", *args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def _layers(ref: str) -> list[str]:
    out = subprocess.run(["skopeo", "inspect", ref], capture_output=True, check=True, text=True).stdout
    return json.loads(out)["Layers"]  # type: ignore[no-any-return]


def test_multi_arch_index_runs_on_both_platforms(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for arch in ("amd64", "arm64"):
        build_go_binary(tmp_path / f"probe-{arch}", UID_PROBE, goarch=arch)
    spec = tmp_path / "probe.yaml"
    spec.write_text(
        "name: probe\ndistro: debian-12\narchs: [amd64, arm64]\npackages: [netbase]\nallowed-programs: []\n"
        "entrypoint: [/app/probe]\n"
    )
    # one binary per architecture: two specs would do, but a symlink to the right one keeps one spec
    res = _build([str(spec), "-o", f"oci:{tmp_path}/img:1"], cache, monkeypatch)
    assert {p["platform"] for p in res["platforms"]} == {"linux/amd64", "linux/arm64/v8"}
    raw = json.loads(
        subprocess.run(
            ["skopeo", "inspect", "--raw", f"oci:{tmp_path}/img:1"], capture_output=True, check=True
        ).stdout
    )
    assert raw["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert sorted(m["platform"]["architecture"] for m in raw["manifests"]) == ["amd64", "arm64"]
    for arch, plat in (("amd64", "linux/amd64"), ("arm64", "linux/arm64")):
        s2 = tmp_path / f"probe-{arch}.yaml"
        s2.write_text(
            f"name: probe\ndistro: debian-12\narchs: [{arch}]\npackages: [netbase]\nallowed-programs: []\n"
            f"entrypoint: [/app/probe]\npaths:\n  - {{path: /app/probe, type: file, source: probe-{arch}, mode: '0755'}}\n"
        )
        tag = f"hardbake-test/mprobe:{arch}"
        _build([str(s2), "-o", f"docker-daemon:{tag}", "--platform", plat], cache, monkeypatch)
        try:
            r = subprocess.run(
                ["docker", "run", "--rm", "--network", "none", "--platform", plat, tag],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert r.returncode == 0, r.stderr
            assert f"uid=65532 arch={arch}" in r.stdout
        finally:
            subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def test_images_that_share_packages_share_layers(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build(
        ["base:debian13", "--arch", "amd64", "--layers", "8", "-o", f"oci:{tmp_path}/base:1"],
        cache,
        monkeypatch,
    )
    _build(
        ["cc:debian13", "--arch", "amd64", "--layers", "8", "-o", f"oci:{tmp_path}/cc:1"], cache, monkeypatch
    )
    base, cc = _layers(f"oci:{tmp_path}/base:1"), _layers(f"oci:{tmp_path}/cc:1")
    assert len(base) <= 8 and len(cc) <= 8
    shared = set(base) & set(cc)
    assert len(shared) >= 4, (base, cc)

    # the glibc layer is one of them: find the layer that holds libc.so.6 in each image
    def layer_with(layout: Path, name: str) -> str:
        index = json.loads((layout / "index.json").read_text())
        manifest = json.loads(
            (layout / "blobs/sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text()
        )
        for layer in manifest["layers"]:
            with tarfile.open(layout / "blobs/sha256" / layer["digest"].split(":")[1]) as t:
                if any(m.name.endswith(name) for m in t.getmembers()):
                    return str(layer["digest"])
        raise AssertionError(name)

    assert layer_with(tmp_path / "base", "libc.so.6") == layer_with(tmp_path / "cc", "libc.so.6")
    assert layer_with(tmp_path / "base", "libssl.so.3") == layer_with(tmp_path / "cc", "libssl.so.3")


def test_rebuild_with_unchanged_inputs_reuses_layers(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _build(["base:debian12", "--arch", "amd64", "-o", f"oci:{tmp_path}/a:1"], cache, monkeypatch)
    b = _build(["base:debian12", "--arch", "amd64", "-o", f"oci:{tmp_path}/b:1"], cache, monkeypatch)
    assert a["digest"] == b["digest"]
    assert b["seconds"] < a["seconds"] or b["seconds"] < 3


def test_dev_variant_is_a_working_debian(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = "hardbake-test/base:debian13-dev"
    res = _build(
        ["base:debian13", "--variant", "dev", "--arch", "amd64", "-o", f"docker-daemon:{tag}"],
        cache,
        monkeypatch,
    )
    assert res["tag"] == "debian13-dev"
    try:
        script = "dpkg --audit && echo AUDIT-CLEAN; apt-get update -qq && apt-get install -y -qq hello >/dev/null && hello && dpkg --audit && echo STILL-CLEAN; id -u"
        r = subprocess.run(
            ["docker", "run", "--rm", "--network", "host", tag, "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "AUDIT-CLEAN" in r.stdout, r.stdout + r.stderr
        assert "Hello, world!" in r.stdout and "STILL-CLEAN" in r.stdout, r.stdout + r.stderr
        assert r.stdout.strip().endswith("0")  # dev images run as root
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def test_customisation_extends_a_catalog_image(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Example Corp Root CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))  # fmt: skip
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "corp-ca.pem").write_bytes(pem)
    (tmp_path / "my-base.yaml").write_text(
        "name: my-base\ndistro: debian-13\nextends: base:debian13\narchs: [amd64]\npackages: [libsqlite3-0]\n"
        "certificates: [corp-ca.pem]\n"
        "paths:\n  - {path: /etc/myapp/config.toml, type: file, content: \"level = 'info'\\n\"}\n"
        "environment: {MYAPP_ENV: production}\n"
    )
    parent = _build(
        ["base:debian13", "--arch", "amd64", "-o", f"oci:{tmp_path}/parent:1"], cache, monkeypatch
    )
    child = _build([str(tmp_path / "my-base.yaml"), "-o", f"oci:{tmp_path}/child:1"], cache, monkeypatch)
    assert "libsqlite3-0" in child["platforms"][0]["packages"]
    p_layers, c_layers = _layers(f"oci:{tmp_path}/parent:1"), _layers(f"oci:{tmp_path}/child:1")
    assert c_layers[: len(p_layers)] == p_layers and len(c_layers) == len(p_layers) + 1
    info = json.loads(
        subprocess.run(
            ["skopeo", "inspect", f"oci:{tmp_path}/child:1"], capture_output=True, check=True
        ).stdout
    )
    assert "MYAPP_ENV=production" in info["Env"]
    assert info["Labels"]["org.opencontainers.image.base.digest"] == parent["digest"]
    top = c_layers[-1].split(":")[1]
    with tarfile.open(tmp_path / "child" / "blobs" / "sha256" / top) as t:
        names = set(t.getnames())
        bundle = t.extractfile("etc/ssl/certs/ca-certificates.crt").read()  # type: ignore[union-attr]
    assert pem.strip() in bundle and bundle.count(b"BEGIN CERTIFICATE") > 100
    assert "etc/myapp/config.toml" in names and "var/lib/dpkg/status.d/libsqlite3-0" in names
    assert any(n.endswith("libsqlite3.so.0") for n in names)
    assert not any(n.endswith("libc.so.6") for n in names)  # unchanged parent content is not repeated
