"""`verify --keyring`: resolved .debs against Packages indices of a real signed apt repository.

The repository (hardbake.testing.aptrepo) is served over HTTP on 127.0.0.1 and signed with
a throwaway OpenPGP key; gpgv checks its InRelease exactly as for Debian's archive."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from hardbake.attest import predicates, signing, slsa
from hardbake.attest.dependencies import ArchiveDependencyCheck, DebDependency
from hardbake.attest.keys import SigningKey, write_key_pair
from hardbake.attest.storage.layout import LayoutStore
from hardbake.attest.verify import VerifyPolicy, verify
from hardbake.errors import InputError
from hardbake.oci import layout
from hardbake.oci.blobs import BlobStore
from hardbake.testing.aptrepo import RepoSite, make_key
from hardbake.testing.cli import run_hardbake
from hardbake.testing.debs import DebSpec, File
from hardbake.testing.images import random_image

SPECS = (
    DebSpec("hello", "2.10-3", files={"usr/bin/hello": File(b"\x7fELF", 0o755)}),
    DebSpec("hello-data", "2.10-3", arch="all", files={"usr/share/hello/x": File(b"x")}),
)


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The keyring of a key that signed nothing here (short path: gpg-agent's socket)."""
    return make_key(tmp_path_factory.mktemp("stranger"), name="not the archive").keyring


def _deps(site: RepoSite, suite: str | None = "trixie") -> list[dict[str, Any]]:
    debs = site.repo.add("trixie", *SPECS)
    site.repo.publish("trixie")
    out = []
    for spec, deb in zip(SPECS, debs, strict=True):
        rel = deb.relative_to(site.repo.root)
        d = slsa.deb_dependency(
            spec.name,
            spec.version,
            spec.arch,
            f"{site.url}/debian/{rel}",
            hashlib.sha256(deb.read_bytes()).hexdigest(),
            suite=suite,
            repository="debian",
        )
        out.append(d.model_dump(by_alias=True, mode="json", exclude_none=True))
    return out


def _check(site: RepoSite, keyring: Path, **kw: Any) -> ArchiveDependencyCheck:
    return ArchiveDependencyCheck(keyring, site.cache, max_age=0.0, **kw)


def test_every_deb_in_a_signed_index(site: RepoSite) -> None:
    deps = _deps(site)
    check = _check(site, site.repo.key.keyring)(deps)
    assert check.ok, check.detail
    assert "all 2 resolved .debs" in check.detail and "trixie" in check.detail


def test_a_sha256_no_signed_index_lists(site: RepoSite) -> None:
    deps = _deps(site)
    deps[0]["digest"]["sha256"] = "ab" * 32
    check = _check(site, site.repo.key.keyring)(deps)
    assert not check.ok
    assert f"with sha256 {deps[0]['digest']['sha256']}" not in check.detail  # the index's, not ours
    assert (
        "hello 2.10-3 (amd64): trixie lists pool/main/h/hello/hello_2.10-3_amd64.deb with sha256"
        in check.detail
    )
    assert check.detail.startswith("1 of 2 resolved .debs")


def test_a_deb_no_index_lists(site: RepoSite) -> None:
    deps = _deps(site)
    deps[1]["uri"] = deps[1]["uri"].replace("hello-data_", "hello-extra_")
    check = _check(site, site.repo.key.keyring)(deps)
    assert not check.ok and "does not list pool/main/h/hello-data/hello-extra_2.10-3_all.deb" in check.detail


def test_a_keyring_that_did_not_sign(site: RepoSite, stranger: Path) -> None:
    deps = _deps(site)
    check = _check(site, stranger)(deps)
    assert not check.ok and check.detail.startswith("2 of 2")
    assert "InRelease: no valid signature (signed only by keys not in the keyring" in check.detail


def test_suites_when_the_provenance_names_none(site: RepoSite) -> None:
    deps = _deps(site, suite=None)
    assert "does not say which suite" in _check(site, site.repo.key.keyring)(deps).detail
    assert _check(site, site.repo.key.keyring, suites=("trixie-updates", "trixie"))(deps).ok


def test_malformed_entries(site: RepoSite, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not ARCHIVE/pool"):
        DebDependency.parse({"name": "pkg:deb/debian/x@1?arch=amd64", "uri": "http://h/x.deb"})
    with pytest.raises(InputError, match="not a package URL"):
        DebDependency.parse({"name": "x", "uri": "http://h/pool/main/x.deb"})
    check = _check(site, site.repo.key.keyring)([{"uri": "http://h/x.deb"}])
    assert not check.ok and "1 of 1" in check.detail
    assert not _check(site, site.repo.key.keyring)([]).ok
    with pytest.raises(InputError, match="does not exist"):
        ArchiveDependencyCheck(tmp_path / "nope.gpg", tmp_path)


def test_verify_keyring_end_to_end(site: RepoSite, tmp_path: Path, key: SigningKey, stranger: Path) -> None:
    """In the library and through `hardbake verify oci:DIR:TAG --keyring`."""
    deps = _deps(site)
    img = random_image(BlobStore(tmp_path / "store", fsync=False), files=2, max_size=500)
    layout.write(tmp_path / "lay", img, tags=["v1"])
    store = LayoutStore(tmp_path / "lay")
    signing.sign_image(store, "v1", key)
    provenance = {
        "buildDefinition": {"buildType": "t", "externalParameters": {}, "resolvedDependencies": deps},
        "runDetails": {"builder": {"id": slsa.BUILDER_ID}},
    }
    signing.attest_image(store, "v1", key, predicates.SLSA_PROVENANCE_V1, provenance)
    result = verify(
        store, "v1", VerifyPolicy(key.public, dependency_check=_check(site, site.repo.key.keyring))
    )
    assert result.ok and result.checks[-1].name == "dependencies", result.to_json()

    write_key_pair(key, tmp_path / "keys", b"pw")
    pub = str(tmp_path / "keys/cosign.pub")
    r = run_hardbake(
        "verify",
        f"oci:{tmp_path / 'lay'}:v1",
        "--key",
        pub,
        "--keyring",
        str(site.repo.key.keyring),
        "--json",
        home=tmp_path,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["checks"][-1]["check"] == "dependencies"
    r = run_hardbake(
        "verify",
        f"oci:{tmp_path / 'lay'}:v1",
        "--key",
        pub,
        "--keyring",
        str(stranger),
        home=tmp_path,
    )
    assert r.returncode == 1 and "dependencies" in r.stderr
