"""The verbs end to end: key generate, sign, attest, verify (exit codes, outputs, cosign)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from hardbake.oci import layout
from hardbake.oci.blobs import BlobStore
from hardbake.oci.registry import RegistryClient
from hardbake.testing.cosign import REGISTRY_FLAGS, run_cosign
from hardbake.testing.images import random_image
from hardbake.testing.registry_images import push_image

SRC = Path(__file__).resolve().parents[2] / "src"


def hardbake(*args: str, password: str | None = "pw", home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(SRC), "HOME": str(home), "COLUMNS": "200"}
    if password is not None:
        env["HARDBAKE_KEY_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "hardbake.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_generate_sign_attest_verify(client: RegistryClient, tmp_path: Path, cosign_bin: Path) -> None:
    keys = tmp_path / "keys"
    r = hardbake("key", "generate", "--out-dir", str(keys), home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE((keys / "cosign.key").stat().st_mode) == 0o600
    assert "pw" not in r.stderr + r.stdout
    assert hardbake("key", "generate", "--out-dir", str(keys), home=tmp_path).returncode == 2  # no overwrite

    img = push_image(client, "cli/app", "v1")
    ref = f"{client.registry}/cli/app:v1"
    r = hardbake("sign", ref, "--key", str(keys / "cosign.key"), "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["subject"] == img.digest
    r = run_cosign("verify", "--key", str(keys / "cosign.pub"), *REGISTRY_FLAGS, ref, home=tmp_path)
    assert r.returncode == 0, r.stderr

    pred = tmp_path / "hardening.json"
    pred.write_text(json.dumps({"shells": {"count": 0, "paths": []}}))
    r = hardbake(
        "attest",
        ref,
        "--key",
        str(keys / "cosign.key"),
        "--predicate-type",
        "hardening",
        "--predicate",
        str(pred),
        home=tmp_path,
    )
    assert r.returncode == 0, r.stderr

    report = tmp_path / "report.json"
    r = hardbake(
        "verify",
        ref,
        "--key",
        str(keys / "cosign.pub"),
        "--require",
        "hardening",
        "--json",
        "-o",
        str(report),
        home=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(report.read_text())
    assert doc["verified"] is True and doc["digest"] == img.digest

    r = hardbake(
        "verify", ref, "--key", str(keys / "cosign.pub"), "--require", "hardening,provenance", home=tmp_path
    )
    assert r.returncode == 1
    assert "attestation:provenance" in r.stdout and "FAIL" in r.stdout
    assert "verification of" in r.stderr and "attestation:provenance" in r.stderr


def test_usage_errors(client: RegistryClient, tmp_path: Path) -> None:
    r = hardbake("key", "generate", "--out-dir", str(tmp_path / "k"), password=None, home=tmp_path)
    assert r.returncode == 2 and "HARDBAKE_KEY_PASSWORD" in r.stderr  # no terminal to prompt on
    hardbake("key", "generate", "--out-dir", str(tmp_path / "k"), home=tmp_path)
    pub = str(tmp_path / "k" / "cosign.pub")
    r = hardbake("verify", f"oci:{tmp_path}/layout:v1", "--key", pub, home=tmp_path)
    assert r.returncode == 2 and "not an OCI image layout" in r.stderr
    r = hardbake("verify", f"docker-archive:{tmp_path}/x.tar", "--key", pub, home=tmp_path)
    assert r.returncode == 2 and "signatures live in a registry or an OCI layout" in r.stderr
    r = hardbake(
        "verify",
        f"{client.registry}/cli/none:v1",
        "--key",
        pub,
        "--keyring",
        f"{tmp_path}/no.gpg",
        home=tmp_path,
    )
    assert r.returncode == 2 and "keyring" in r.stderr and "does not exist" in r.stderr
    r = hardbake("verify", f"{client.registry}/cli/none:v1", "--key", pub, "--suite", "trixie", home=tmp_path)
    assert r.returncode == 2 and "--suite only means something with --keyring" in r.stderr
    r = hardbake(
        "sign",
        f"{client.registry}/cli/app:v1",
        "--key",
        str(tmp_path / "k" / "cosign.key"),
        password="wrong",
        home=tmp_path,
    )
    assert r.returncode == 2 and "wrong password" in r.stderr
    r = hardbake("verify", f"{client.registry}/cli/none:v1", "--key", pub, home=tmp_path)
    assert r.returncode == 1 and "resolve" in r.stdout


def test_attest_refuses_a_swapped_predicate_file(client: RegistryClient, tmp_path: Path) -> None:
    hardbake("key", "generate", "--out-dir", str(tmp_path / "k"), home=tmp_path)
    cdx = tmp_path / "bom.json"
    cdx.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6"}))
    r = hardbake(
        "attest",
        f"{client.registry}/cli/x:v1",
        "--key",
        str(tmp_path / "k/cosign.key"),
        "--predicate-type",
        "spdx",
        "--predicate",
        str(cdx),
        home=tmp_path,
    )
    assert r.returncode == 2 and "is not an SPDX JSON document" in r.stderr


def test_sign_attest_verify_copy_a_layout(tmp_path: Path) -> None:
    """The verbs on oci:DIR:TAG; `copy` to another layout carries signatures and attestations."""
    hardbake("key", "generate", "--out-dir", str(tmp_path / "k"), home=tmp_path)
    key, pub = str(tmp_path / "k/cosign.key"), str(tmp_path / "k/cosign.pub")
    img = random_image(BlobStore(tmp_path / "store", fsync=False), files=2, max_size=500)
    layout.write(tmp_path / "lay", img, tags=["v1"])
    lay = f"oci:{tmp_path / 'lay'}:v1"
    r = hardbake("sign", lay, "--key", key, "--identity", "registry.example/app", "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["subject"] == str(img.digest())
    pred = tmp_path / "hardening.json"
    pred.write_text(json.dumps({"shells": {"count": 0, "paths": []}}))
    args = ("--predicate-type", "hardening", "--predicate", str(pred))
    assert hardbake("attest", lay, "--key", key, *args, home=tmp_path).returncode == 0
    r = hardbake("copy", lay, f"oci:{tmp_path / 'copy'}:v2", "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["referrers"]) == 4  # .sig, .att, and their referrers
    for ref in (lay, f"oci:{tmp_path / 'copy'}:v2", f"oci:{tmp_path / 'copy'}"):
        r = hardbake("verify", ref, "--key", pub, "--require", "hardening", home=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "registry.example/app" in r.stdout  # the identity the payload names


def test_transfer_usage_errors(client: RegistryClient, tmp_path: Path) -> None:
    r = hardbake("push", f"oci:{tmp_path}/x:v1", f"oci:{tmp_path}/y:v1", home=tmp_path)
    assert r.returncode == 2 and "push needs a registry destination" in r.stderr
    r = hardbake("pull", f"oci:{tmp_path}/x:v1", f"oci:{tmp_path}/y:v1", home=tmp_path)
    assert r.returncode == 2 and "pull reads from a registry" in r.stderr
    r = hardbake("pull", f"{client.registry}/a/b:v1", home=tmp_path)
    assert r.returncode == 2 and "pull needs a destination" in r.stderr
    r = hardbake("pull", f"{client.registry}/a/b:v1", f"oci:{tmp_path}/y:v1", home=tmp_path)
    assert r.returncode == 2 and "not found" in r.stderr and not (tmp_path / "y").exists()
    r = hardbake("sign", f"{client.registry}/a/b:v1", "--key", "k", "--identity", "x", home=tmp_path)
    assert r.returncode == 2
