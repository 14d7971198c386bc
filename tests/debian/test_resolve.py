"""The resolver against a real local signed repository, checked by dose-distcheck."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hardbake.debian.lock import ArchLock
from hardbake.debian.resolve import ConflictError, ResolveError
from hardbake.testing.aptrepo import AptRepo, RepoSite
from hardbake.testing.debs import DebSpec


def _publish(repo: AptRepo, *specs: DebSpec, suite: str = "trixie") -> None:
    repo.add(suite, *specs)
    repo.publish(suite)


def _names(lock: ArchLock) -> set[str]:
    return {p.name for p in lock.packages}


def _distcheck(site: RepoSite, lock: ArchLock, tmp_path: Path) -> None:
    """dose-distcheck must find every package of the set installable within the set alone."""
    client = site.client()
    u = client.universe(["trixie"], "amd64")
    stanzas = []
    for p in lock.packages:
        for idx in u.indices:
            for i in idx.by_name.get(p.name, ()):
                rec = idx.record(i)
                if str(rec.version) == p.version:
                    stanzas.append(idx.raw(i).decode())
                    break
            else:
                continue
            break
    f = tmp_path / "closure-Packages"
    f.write_text("\n\n".join(stanzas) + "\n")
    r = subprocess.run(
        ["dose-distcheck", "-f", "-e", "--deb-native-arch=amd64", f"deb://{f}"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "broken-packages: 0" in r.stdout, r.stdout + r.stderr
    assert f"total-packages: {len(lock.packages)}" in r.stdout
    coinst = ",".join(f"{p.name}:{p.arch}" for p in lock.packages)
    r = subprocess.run(
        ["dose-distcheck", "--deb-native-arch=amd64", f"--coinst={coinst}", f"deb://{f}"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "broken-tuples: 0" in r.stdout, r.stdout + r.stderr


def test_alternatives_prefer_first_that_resolves(site: RepoSite, tmp_path: Path) -> None:
    _publish(
        site.repo,
        DebSpec("app", depends="missing-lib | libb, liba | libc"),
        DebSpec("liba"),
        DebSpec("libb"),
        DebSpec("libc"),
    )
    lock = site.client().lock(["app"], ["trixie"], "amd64")
    assert _names(lock) == {"app", "libb", "liba"}
    _distcheck(site, lock, tmp_path)


def test_alternative_already_installed_wins(site: RepoSite) -> None:
    _publish(site.repo, DebSpec("app", depends="liba | libb"), DebSpec("liba"), DebSpec("libb"))
    lock = site.client().lock(["libb", "app"], ["trixie"], "amd64")
    assert _names(lock) == {"app", "libb"}


def test_virtual_packages_by_priority_then_name(site: RepoSite, tmp_path: Path) -> None:
    _publish(
        site.repo,
        DebSpec("app", depends="awk-ish"),
        DebSpec("zawk", provides="awk-ish", priority="required"),
        DebSpec("mawk", provides="awk-ish", priority="optional"),
        DebSpec("gawk", provides="awk-ish", priority="optional"),
    )
    lock = site.client().lock(["app"], ["trixie"], "amd64")
    assert _names(lock) == {"app", "zawk"}
    _distcheck(site, lock, tmp_path)


def test_versioned_provides_only_satisfy_versioned_dependencies(site: RepoSite) -> None:
    _publish(
        site.repo,
        DebSpec("app", depends="api (>= 2)"),
        DebSpec("old-impl", provides="api", priority="required"),
        DebSpec("new-impl", provides="api (= 2.5)"),
    )
    lock = site.client().lock(["app"], ["trixie"], "amd64")
    assert _names(lock) == {"app", "new-impl"}


def test_version_constraints_and_suite_priority(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("app", depends="lib (>= 2)"), DebSpec("lib", version="1.0-1"))
    site.repo.publish("trixie")
    site.security.add("trixie-security", DebSpec("lib", version="2.0-1"))
    site.security.publish("trixie-security")
    site.repo.add("trixie-updates", DebSpec("lib", version="1.5-1"))
    site.repo.publish("trixie-updates")
    lock = site.client().lock(["app"], ["trixie"], "amd64")
    lib = lock.package("lib")
    assert lib is not None and lib.version == "2.0-1" and lib.suite == "trixie-security"
    assert lib.repo == "debian-security"


def test_equal_versions_prefer_the_security_suite(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("lib", version="2.0-1"))
    site.repo.publish("trixie")
    site.security.add("trixie-security", DebSpec("lib", version="2.0-1", description="rebuilt"))
    site.security.publish("trixie-security")
    lock = site.client().lock(["lib"], ["trixie"], "amd64")
    assert lock.packages[0].suite == "trixie-security"


def test_unsatisfiable_version_names_the_chain(site: RepoSite) -> None:
    _publish(site.repo, DebSpec("app", depends="mid"), DebSpec("mid", depends="lib (>= 3)"), DebSpec("lib"))
    with pytest.raises(ResolveError) as e:
        site.client().lock(["app"], ["trixie"], "amd64")
    assert "app -> mid Depends lib (>= 3)" in e.value.message
    assert "1.0-1" in e.value.message


def test_multi_arch_any_needs_allowed(site: RepoSite) -> None:
    _publish(
        site.repo,
        DebSpec("app", depends="interp:any"),
        DebSpec("interp", multi_arch="allowed"),
        DebSpec("tool", depends="plain:any"),
        DebSpec("plain"),
        DebSpec("arch-indep", arch="all", depends="interp", multi_arch="foreign"),
    )
    c = site.client()
    assert _names(c.lock(["app", "arch-indep"], ["trixie"], "amd64")) == {"app", "interp", "arch-indep"}
    with pytest.raises(ResolveError):
        c.lock(["tool"], ["trixie"], "amd64")


def test_pins(site: RepoSite) -> None:
    site.repo.add("trixie", DebSpec("lib", version="1.0-1"))
    site.repo.publish("trixie")
    site.repo.add("trixie-updates", DebSpec("lib", version="1.1-1"))
    site.repo.publish("trixie-updates")
    c = site.client()
    assert c.lock(["lib"], ["trixie"], "amd64").packages[0].version == "1.1-1"
    assert c.lock(["lib=1.0-1"], ["trixie"], "amd64").packages[0].version == "1.0-1"
    with pytest.raises(ResolveError) as e:
        c.lock(["lib=9.9-1"], ["trixie"], "amd64")
    assert "pinned to 9.9-1" in e.value.message and "1.1-1" in e.value.message


def test_exclusion_takes_another_alternative_or_names_the_chain(site: RepoSite) -> None:
    _publish(
        site.repo,
        DebSpec("app", depends="mid, a | b"),
        DebSpec("mid", depends="perl-base"),
        DebSpec("a"),
        DebSpec("b"),
        DebSpec("perl-base"),
    )
    c = site.client()
    with pytest.raises(ResolveError) as e:
        c.lock(["app", "!perl-base"], ["trixie"], "amd64")
    assert "app -> mid Depends perl-base" in e.value.message and "excluded" in e.value.message
    lock = c.lock(["app", "!a"], ["trixie"], "amd64")
    assert _names(lock) == {"app", "mid", "b", "perl-base"}


def test_drop_cuts_edges_and_what_only_it_pulled(site: RepoSite) -> None:
    _publish(
        site.repo,
        DebSpec("ca-certificates", depends="openssl (>= 1.1.1), debconf (>= 0.5) | debconf-2.0"),
        DebSpec("openssl", depends="libssl3"),
        DebSpec("libssl3"),
        DebSpec("debconf", provides="debconf-2.0", depends="perl-base"),
        DebSpec("cdebconf", provides="debconf-2.0"),
        DebSpec("perl-base"),
        DebSpec("app", depends="libssl3, ca-certificates"),
    )
    lock = site.client().lock(
        ["app"],
        ["trixie"],
        "amd64",
        {"openssl": "no CLI in runtime images", "debconf": "no maintainer scripts run"},
    )
    assert _names(lock) == {"app", "libssl3", "ca-certificates"}
    cuts = {(c.package, c.dropped): c for c in lock.cuts}
    assert cuts[("ca-certificates", "openssl")].reason == "no CLI in runtime images"
    assert cuts[("ca-certificates", "debconf")].relation == "debconf (>= 0.5) | debconf-2.0"
    assert lock.drops == {"debconf": "no maintainer scripts run", "openssl": "no CLI in runtime images"}


def test_conflicts_are_refused_naming_both(site: RepoSite) -> None:
    _publish(
        site.repo,
        DebSpec("app", depends="liba, libb"),
        DebSpec("liba", conflicts="libb"),
        DebSpec("libb"),
        DebSpec("x", depends="y | z"),
        DebSpec("y", breaks="w"),
        DebSpec("z"),
        DebSpec("w"),
    )
    c = site.client()
    with pytest.raises(ConflictError) as e:
        c.lock(["app"], ["trixie"], "amd64")
    assert "liba" in e.value.message and "libb" in e.value.message
    # a conflicting alternative is skipped for the next one
    assert _names(c.lock(["w", "x"], ["trixie"], "amd64")) == {"w", "x", "z"}


def test_cycles_and_pre_depends(site: RepoSite, tmp_path: Path) -> None:
    _publish(
        site.repo,
        DebSpec("a", depends="b"),
        DebSpec("b", pre_depends="c"),
        DebSpec("c", depends="a"),
    )
    lock = site.client().lock(["a"], ["trixie"], "amd64")
    assert _names(lock) == {"a", "b", "c"}
    _distcheck(site, lock, tmp_path)


def test_essential_and_recommends_are_never_added(site: RepoSite) -> None:
    _publish(
        site.repo,
        DebSpec("app", recommends="extra"),
        DebSpec("extra"),
        DebSpec("bash", essential=True, priority="required"),
    )
    assert _names(site.client().lock(["app"], ["trixie"], "amd64")) == {"app"}


def test_lock_is_deterministic_and_why(site: RepoSite) -> None:
    _publish(site.repo, DebSpec("app", depends="mid"), DebSpec("mid", depends="leaf"), DebSpec("leaf"))
    c = site.client()
    a = c.lock(["app"], ["trixie"], "amd64")
    b = c.lock(["app"], ["trixie"], "amd64")
    assert a.to_json() == b.to_json()
    assert ArchLock.from_json(a.to_json(), "x").to_json() == a.to_json()
    leaf = a.package("leaf")
    assert leaf is not None and leaf.required_by == "mid" and leaf.via == "Depends: leaf"


def test_missing_package_is_named(site: RepoSite) -> None:
    _publish(site.repo, DebSpec("app"))
    with pytest.raises(ResolveError) as e:
        site.client().lock(["nope"], ["trixie"], "amd64")
    assert "nope does not exist" in e.value.message
