"""`hardbake watch` end to end: a local signed archive, five test images with tests run in the real
engine, a real registry, a signing key. A fix lands in the archive; exactly the images that use
the package are rebuilt, tested, signed, pushed and verify; the others keep their digests."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from hardbake.attest.keys import SigningKey
from hardbake.cli.main import app
from hardbake.testing.aptrepo import SigningKey as ArchiveKey
from hardbake.testing.images import build_go_binary
from hardbake.testing.registry import LocalRegistry
from hardbake.testing.watchlab import HBRUN, Lab, build_lab, served

pytestmark = pytest.mark.docker
runner = CliRunner()


@pytest.fixture(scope="session")
def hbrun(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go_binary(tmp_path_factory.mktemp("hbrun") / "hbrun", HBRUN)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("cosign")
    k = SigningKey.generate()
    (d / "key.pem").write_bytes(
        k.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (d / "key.pub").write_bytes(k.public.pem())
    return d / "key.pem", d / "key.pub"


@pytest.fixture()
def lab(
    tmp_path: Path, archive_key: ArchiveKey, hbrun: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Lab]:
    with served(build_lab(tmp_path / "lab", archive_key, hbrun)) as lab:
        for k, v in lab.env().items():
            monkeypatch.setenv(k, v)
        yield lab


def watch(*args: str) -> tuple[int, dict[str, Any]]:
    r = runner.invoke(app, ["watch", *args, "--once", "--json"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    text = r.stdout
    return r.exit_code, json.loads(text[text.index("{") :])


def outcomes(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["image"]: o for o in report["outcomes"]}


def registry_digest(ref: str) -> str:
    out = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return str(json.loads(out)["Digest"])


def provenance(ref: str, pub: Path) -> dict[str, Any]:
    from hardbake.attest.copy import store_for
    from hardbake.attest.keys import load_public_key
    from hardbake.attest.verify import VerifyPolicy, verify
    from hardbake.oci.reference import RegistryRef
    from hardbake.oci.remote import RegistryAccess

    r = RegistryRef.parse(ref)
    with RegistryAccess() as access:
        store = store_for(r, access)
        assert store is not None
        result = verify(
            store, r.tag or "", VerifyPolicy(load_public_key(pub.read_bytes()), require=("provenance",))
        )
    assert result.ok, result.to_json()
    return result.predicates["https://slsa.dev/provenance/v1"]


def test_a_fix_rebuilds_exactly_the_images_that_use_it(
    lab: Lab, registry: LocalRegistry, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    key, pub = keys
    prefix = f"{registry.host}/lab"
    specs = [str(p) for p in lab.specs.values()]
    common = [*specs, "--registry", prefix, "--state", str(tmp_path / "state.sqlite"), "--key", str(key)]

    # no state yet: everything builds, passes its tests, is signed, pushed and verified there
    code, first = watch(*common)
    assert code == 0, first
    before = outcomes(first)
    assert {o["outcome"] for o in before.values()} == {"published"}
    for name, o in before.items():
        assert o["published"]["verified"] is True and o["tests"][0]["passed"], name
        assert registry_digest(f"{prefix}/{name}") == o["newDigest"]

    # a security fix for liba (a changelog naming a CVE) lands in trixie-security
    lab.publish("liba", "1.1-1", cves=["CVE-2099-0001"])
    code, dry = watch(*common, "--dry-run")
    assert code == 0 and dry["dryRun"] and dry["run"] is None
    plan = outcomes(dry)
    assert plan["alpha:1"]["outcome"] == "would-rebuild"
    assert plan["alpha:1"]["changes"] == [
        {"package": "liba", "arch": "amd64", "old": "1.0-1", "new": "1.1-1", "source": "liba",
         "suite": "trixie-security", "base": False, "kind": "upgraded"}
    ]  # fmt: skip
    assert {n for n, o in plan.items() if o["outcome"] == "unchanged"} == {
        "beta:1",
        "gamma:1",
        "tbase:1",
        "tchild:1",
    }
    assert registry_digest(f"{prefix}/alpha:1") == before["alpha:1"]["newDigest"]  # a dry run builds nothing

    code, second = watch(*common)
    assert code == 0, second
    after = outcomes(second)
    alpha = after["alpha:1"]
    assert alpha["outcome"] == "published" and alpha["vulnsFixed"] == ["CVE-2099-0001"]
    assert alpha["oldDigest"] == before["alpha:1"]["newDigest"] != alpha["newDigest"]
    assert registry_digest(f"{prefix}/alpha:1") == alpha["newDigest"]
    for name in ("beta:1", "gamma:1", "tbase:1", "tchild:1"):
        assert after[name]["outcome"] == "unchanged"
        assert registry_digest(f"{prefix}/{name}") == before[name]["newDigest"]

    # the new image verifies with the public key alone; its provenance names the fixed .deb
    r = runner.invoke(app, ["verify", f"{prefix}/alpha:1", "--key", str(pub), "--require", "provenance,scan",
                            "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["verified"] is True
    prov = provenance(f"{prefix}/alpha:1", pub)
    debs = [d["name"] for d in prov["buildDefinition"]["resolvedDependencies"]]
    assert "pkg:deb/debian/liba@1.1-1?arch=amd64" in debs

    # the SLA clock: the fix appeared and was published in the same run
    r = runner.invoke(app, ["sla", "--state", str(tmp_path / "state.sqlite"), "--json"])
    assert r.exit_code == 0, r.output
    sla = json.loads(r.stdout)
    (fixed,) = sla["fixed"]
    assert fixed["vulnerability"] == "CVE-2099-0001" and fixed["image"] == "alpha:1"
    assert fixed["status"] == "met" and fixed["fixedDigest"] == alpha["newDigest"]

    # an update that breaks beta's test is not published: the previous digest stays current
    lab.publish("libb", "1.1-1", message="libb BROKEN")
    code, third = watch(*common)
    beta = outcomes(third)["beta:1"]
    assert code == 1 and beta["outcome"] == "test-failed"
    assert "libb BROKEN" in beta["tests"][0]["output"] and beta["published"] is None
    assert registry_digest(f"{prefix}/beta:1") == before["beta:1"]["newDigest"]
    assert {o["outcome"] for n, o in outcomes(third).items() if n != "beta:1"} == {"unchanged"}
    # the same lock is not rebuilt again and again
    code, fourth = watch(*common)
    assert code == 1 and outcomes(fourth)["beta:1"]["outcome"] == "still-failing"
    assert outcomes(fourth)["beta:1"]["newDigest"] is None


def test_a_base_change_cascades_and_a_failing_base_blocks_its_children(
    lab: Lab, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    key, pub = keys
    state = tmp_path / "state.sqlite"
    common = [str(lab.specs["tchild"]), str(lab.specs["tbase"]), "--state", str(state), "--key", str(key)]
    code, first = watch(*common)
    assert code == 0 and [o["image"] for o in first["outcomes"]] == ["tbase:1", "tchild:1"]

    lab.publish("common", "1.1-1")
    code, dry = watch(*common, "--dry-run")
    child = outcomes(dry)["tchild:1"]
    assert child["outcome"] == "would-rebuild"
    assert "common 1.0-1 -> 1.1-1 [trixie-security] (base image)" in child["reasons"][0]
    assert "its base tbase:1 is being rebuilt" in child["reasons"]

    code, second = watch(*common)
    assert code == 0 and {o["outcome"] for o in second["outcomes"]} == {"published"}
    # without --registry the images are published to OCI layouts beside the state file
    layout = tmp_path / "published" / "tchild"
    r = runner.invoke(app, ["verify", f"oci:{layout}:1", "--key", str(pub), "--require", "provenance"])
    assert r.exit_code == 0, r.output

    lab.publish("common", "1.2-1", message="common BROKEN")
    code, third = watch(*common)
    o = outcomes(third)
    assert code == 1 and o["tbase:1"]["outcome"] == "test-failed" and o["tchild:1"]["outcome"] == "blocked"
    assert "tbase:1 was not published" in o["tchild:1"]["error"]
    # the state keeps the published digests and the history of every attempt
    from hardbake.watch.state import StateDB

    with StateDB.open(state) as db:
        img = db.image("tchild:1")
        assert img is not None and img.digest == outcomes(second)["tchild:1"]["newDigest"]
        assert [r.outcome for r in db.rebuilds("tchild:1")] == ["published", "published", "blocked"]
        assert len(db.digest_history("tchild:1")) == 2


def test_an_image_that_cannot_be_locked_does_not_stop_the_others(lab: Lab, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text('name: broken\nversion: "1"\ndistro: debian-13\npackages: [hbrun, nosuchpkg]\n')
    common = [str(broken), str(lab.specs["alpha"]), "--state", str(tmp_path / "state.sqlite")]
    code, dry = watch(*common, "--dry-run")
    o = outcomes(dry)
    assert code == 2 and o["alpha:1"]["outcome"] == "would-rebuild"
    assert o["broken:1"]["outcome"] == "failed" and "nosuchpkg" in o["broken:1"]["error"]
    code, run = watch(*common)
    o = outcomes(run)
    assert code == 2 and o["alpha:1"]["outcome"] == "published" and o["broken:1"]["outcome"] == "failed"
    assert o["alpha:1"]["published"]["signed"] is False and o["alpha:1"]["published"]["verified"] is None


def test_interval_mode_runs_again_and_prints_one_json_document_per_run(lab: Lab, tmp_path: Path) -> None:
    r = runner.invoke(app, ["watch", str(lab.specs["gamma"]), "--state", str(tmp_path / "s.sqlite"), "--dry-run",
                            "--interval", "0.2s", "--max-runs", "2", "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    docs = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(docs) == 2 and all(d["outcomes"][0]["outcome"] == "would-rebuild" for d in docs)
